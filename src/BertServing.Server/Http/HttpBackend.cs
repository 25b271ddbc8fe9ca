using BertServing.Client.Protocol;
using BertServing.Server.Batching;
using BertServing.Server.Telemetry;
using BertServing.Server.Tokenization;

namespace BertServing.Server.Http;

/// <summary>What the HTTP routes need from the running server, handed over once the model is warm.</summary>
/// <param name="Pipeline">Where encode jobs go.</param>
/// <param name="Status">Configuration and statistics (shared with the ZeroMQ front).</param>
/// <param name="Info">The server's description: model, dimension, limits.</param>
/// <param name="Vocabulary">Token ids given by callers are read through it.</param>
/// <param name="TokenRows">Whether the server returns token embeddings (<c>NONE</c> pooling) rather than one vector per sentence.</param>
public sealed record HttpBackend(EncodingPipeline Pipeline, ServerStatus Status, ServerInfo Info, Vocabulary Vocabulary, bool TokenRows);

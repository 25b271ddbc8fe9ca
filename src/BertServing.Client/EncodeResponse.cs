namespace BertServing.Client;

/// <summary>One answered request from <see cref="BertClient.Fetch"/> or <see cref="BertClient.EncodeBatchesAsync(IAsyncEnumerable{IReadOnlyList{string}}, bool, CancellationToken)"/> (bas's <c>Response</c>).</summary>
/// <param name="Id">The request id <see cref="BertClient.Send(IReadOnlyList{string}, bool)"/> returned.</param>
/// <param name="Embeddings">Its embeddings (and tokens, when asked for).</param>
public sealed record EncodeResponse(long Id, EmbeddingMatrix Embeddings);

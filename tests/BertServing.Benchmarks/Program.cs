// bertserving-benchmark (first cut): encodes a corpus (a) through the real client and server over loopback and
// (b) through the same batching, inference and pooling code in-process with no transport, and (c) on raw ONNX
// Runtime (our tokenizer, sorted batches, ORT-allocated outputs, no pooling) as the ceiling. Back to back, in one
// process, so the figures share the machine's state. Usage:
//   bertserving-benchmark [corpus.txt] [-client_batch_size 256] [-num_repeat 3] [-num_worker 1]
using System.Diagnostics;
using System.Globalization;
using BertServing.Client;
using BertServing.Server.Batching;
using BertServing.Server.Hosting;
using BertServing.Server.Inference;
using BertServing.Server.Models;
using BertServing.Server.Options;
using BertServing.Server.Tokenization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

var corpusPath = args.FirstOrDefault(a => !a.StartsWith('-')) ?? Path.Combine("..", "shared", "data", "sentences-4000.txt");
int Arg(string name, int fallback) => Array.IndexOf(args, name) is var i and >= 0 ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
var clientBatch = Arg("-client_batch_size", 256);
var repeats = Arg("-num_repeat", 3);
var workers = Arg("-num_worker", 1);
// -only pipeline|client|raw runs one path (for timing whole processes from outside).
var only = Array.IndexOf(args, "-only") is var o and >= 0 ? args[o + 1] : null;
bool Runs(string path) => only is null || only == path;
var sentences = File.ReadAllLines(corpusPath).Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
Console.WriteLine($"corpus {corpusPath}: {sentences.Length} sentences; client batch {clientBatch}; {workers} worker(s); max_batch_tokens {Arg("-max_batch_tokens", new ServerOptions().MaxBatchTokens)}; best of {repeats}; {Environment.ProcessorCount} cores");

var options = new ServerOptions { Port = FreePort(), PortOut = FreePort(), NumWorker = workers, Cpu = true, MaxBatchTokens = Arg("-max_batch_tokens", new ServerOptions().MaxBatchTokens) };
if (Array.IndexOf(args, "-pooling_layer") is var pl and >= 0)
{
    options.PoolingLayer = [int.Parse(args[pl + 1], CultureInfo.InvariantCulture)];
    options.PoolingLayerExplicit = true;
    Console.WriteLine($"pooling_layer {options.PoolingLayer[0]}");
}
var results = new List<(string Name, double Rate)>();

// (a) Client -> ZeroMQ -> server -> ZeroMQ -> client.
if (Runs("client"))
{
    var server = BertServer.Start(options, NullLoggerFactory.Instance);
    using (var client = new BertClient("127.0.0.1", options.Port, options.PortOut))
    {
    client.Encode(sentences.Take(8).ToArray());
    results.Add(("client -> server over loopback (batch " + clientBatch + ")", Best(repeats, () =>
    {
        foreach (var chunk in sentences.Chunk(clientBatch))
            client.Encode(chunk);
    })));
    }
    await server.StopAsync();
}

// (b) The server's own engine (planner, workers, pooling), fed directly with no transport.
if (Runs("pipeline"))
{
    var engine = EncodingEngine.Start(options, NullLogger.Instance);
    results.Add(("in-process pipeline, no transport (batch " + clientBatch + ")", Best(repeats, () =>
    {
        var pending = sentences.Chunk(clientBatch).Select(chunk =>
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!engine.Pipeline.TrySubmit(new EncodeJob(chunk.Length, _ => done.SetResult()) { Texts = chunk }))
                throw new InvalidOperationException("queue full");
            return done.Task;
        }).ToArray();
        Task.WaitAll(pending);
    })));
    await engine.StopAsync();
}

var spec = BuiltInModelSpec.Create();
var settings = ModelSettings.Resolve(options, spec);
Vocabulary vocabulary;
using (var stream = spec.OpenVocabulary())
    vocabulary = Vocabulary.Load(stream);
var tokenizer = new WordPieceTokenizer(vocabulary, settings.DoLowerCase);
using var session = SessionFactory.CreateCpu(spec.ReadOnnx(), workers);

// (c) Raw ONNX Runtime: tokenize, sort by length, batches of 32, session.Run with ORT-allocated outputs.
if (Runs("raw"))
results.Add(("raw ONNX Runtime, sorted batches of 32 (ceiling)", Best(repeats, () =>
{
    var ids = new List<int>();
    var tokenized = sentences.Select(s =>
    {
        ids.Clear();
        tokenizer.Tokenize(s, ids);
        return (long[])[vocabulary.ClsId, .. ids.Take(settings.TokenLimit - 2).Select(i => (long)i), vocabulary.SepId];
    }).OrderBy(t => t.Length).ToArray();
    foreach (var batch in tokenized.Chunk(32))
    {
        var length = batch[^1].Length;
        var input = new long[batch.Length * length];
        var mask = new long[input.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i].CopyTo(input, i * length);
            mask.AsSpan(i * length, batch[i].Length).Fill(1);
        }
        long[] shape = [batch.Length, length];
        using var a = OrtValue.CreateTensorValueFromMemory(input, shape);
        using var b = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var c = OrtValue.CreateTensorValueFromMemory(new long[input.Length], shape);
        using var outputs = session.Run(new RunOptions(), ["input_ids", "attention_mask", "token_type_ids"], [a, b, c], ["last_hidden_state"]);
    }
})));

var ceiling = Runs("raw") ? results[^1].Rate : double.NaN;
Console.WriteLine();
Console.WriteLine("| path | sentences/s | vs raw ORT |");
Console.WriteLine("|---|---:|---:|");
foreach (var (name, rate) in results)
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {rate:0} | {rate / ceiling:0.00} |"));
return 0;

double Best(int runs, Action run)
{
    var best = 0.0;
    for (var r = 0; r < runs; r++)
    {
        var clock = Stopwatch.StartNew();
        run();
        best = Math.Max(best, sentences.Length / clock.Elapsed.TotalSeconds);
    }
    return best;
}

static int FreePort()
{
    using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
}

using System.Diagnostics;
using BertServing.Server.Inference;
using BertServing.Server.Models;
using BertServing.Server.Tokenization;
using Microsoft.ML.OnnxRuntime;

namespace BertServing.Benchmarks;

/// <summary>
/// The same model on raw ONNX Runtime in this process, no server, no sockets, no pooling: our tokenizer, sentences
/// sorted by length, batches of a few sizes, ORT-allocated outputs. Its best rate is the ceiling every server
/// figure is a ratio to; its batch-1 latency is the floor for single requests.
/// </summary>
sealed class RawCeiling : IDisposable
{
    readonly InferenceSession _session;
    readonly WordPieceTokenizer _tokenizer;
    readonly Vocabulary _vocabulary;
    readonly int _limit;
    readonly RunOptions _run = new();

    public RawCeiling(int maxSeqLen)
    {
        var spec = BuiltInModelSpec.Create();
        using (var stream = spec.OpenVocabulary())
            _vocabulary = Vocabulary.Load(stream);
        _tokenizer = new WordPieceTokenizer(_vocabulary, lowerCase: true);
        SessionFactory.InitializeEnvironment(verbose: false);
        _session = SessionFactory.CreateCpu(spec.ReadOnnx(), workers: 1);
        _limit = maxSeqLen;
    }

    /// <summary>Best sentences/s over batch sizes 16, 32 and 64, and the batch size that gave it.</summary>
    public (double Rate, int BatchSize) Best(string[] sentences, int repeats)
    {
        var best = (Rate: 0.0, BatchSize: 0);
        foreach (var batchSize in new[] { 16, 32, 64 })
        {
            Encode(sentences.Take(64).ToArray(), batchSize); // warm this shape family
            for (var r = 0; r < repeats; r++)
            {
                var clock = Stopwatch.StartNew();
                Encode(sentences, batchSize);
                var rate = sentences.Length / clock.Elapsed.TotalSeconds;
                if (rate > best.Rate) best = (rate, batchSize);
            }
        }
        return best;
    }

    /// <summary>Sentences/s of one pass over <paramref name="sentences"/> in sorted batches of <paramref name="batchSize"/>.</summary>
    /// <remarks>With <paramref name="requestSize"/>, each slice of that many sentences is sorted and batched alone: the
    /// best any server can do when requests of that size arrive one after another.</remarks>
    public double Rate(string[] sentences, int batchSize, int? requestSize = null)
    {
        var clock = Stopwatch.StartNew();
        foreach (var request in sentences.Chunk(requestSize ?? sentences.Length))
            Encode(request, batchSize);
        return sentences.Length / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Milliseconds per single sentence (tokenize + run), one at a time.</summary>
    public double[] Latencies(string[] sentences, int probes)
    {
        for (var i = 0; i < ClientLoad.WarmUpProbes; i++)
            Encode([sentences[i % sentences.Length]], 1);
        var latencies = new double[probes];
        for (var i = 0; i < probes; i++)
        {
            var clock = Stopwatch.StartNew();
            Encode([sentences[i % sentences.Length]], 1);
            latencies[i] = clock.Elapsed.TotalMilliseconds;
        }
        return latencies;
    }

    void Encode(string[] sentences, int batchSize)
    {
        var ids = new List<int>();
        var tokenized = sentences.Select(s =>
        {
            ids.Clear();
            _tokenizer.Tokenize(s, ids);
            return (long[])[_vocabulary.ClsId, .. ids.Take(_limit - 2).Select(i => (long)i), _vocabulary.SepId];
        }).OrderBy(t => t.Length).ToArray();
        foreach (var batch in tokenized.Chunk(batchSize))
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
            using var outputs = _session.Run(_run, ["input_ids", "attention_mask", "token_type_ids"], [a, b, c], ["last_hidden_state"]);
        }
    }

    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
    }
}

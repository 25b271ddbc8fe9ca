using System.Diagnostics;
using BertServing.Server.Batching;
using BertServing.Server.Options;
using BertServing.Server.Pooling;
using BertServing.Server.Telemetry;
using Microsoft.ML.OnnxRuntime;

namespace BertServing.Server.Inference;

/// <summary>
/// Runs batches through a session and pools each sentence straight into its job's reply buffer. The input and
/// output buffers are allocated once, sized for the largest batch the planner makes, and handed to ONNX Runtime as
/// <see cref="OrtValue"/>s over that memory, so a batch allocates no tensors.
/// </summary>
/// <remarks>Not thread-safe: each worker thread owns one.</remarks>
public sealed class EncoderWorker : IDisposable
{
    readonly InferenceSession _session;
    readonly ModelSignature _signature;
    readonly PoolingStrategy _pooling;
    readonly int _clsId;
    readonly int _sepId;
    readonly bool _maskClsSep;
    readonly long[] _ids;
    readonly long[] _mask;
    readonly long[] _types;
    readonly float[][] _outputs;
    readonly float[]? _concatenated;
    readonly string[] _inputNames;
    readonly RunOptions _runOptions = new();
    readonly Dictionary<EncodeJob, int> _rowsPerJob = [];

    /// <summary>Creates a worker whose buffers hold <paramref name="maxBatchTokens"/> padded tokens.</summary>
    /// <param name="session">The session to run (shared between workers on one device).</param>
    /// <param name="signature">Its inputs and the outputs to pool.</param>
    /// <param name="pooling">The pooling strategy.</param>
    /// <param name="maxBatchTokens">Most padded tokens in a batch.</param>
    /// <param name="maskClsSep">Give [CLS]/[SEP] mask 0 in attention and pooling (<c>-mask_cls_sep</c>).</param>
    /// <param name="clsId">The [CLS] id.</param>
    /// <param name="sepId">The [SEP] id.</param>
    public EncoderWorker(InferenceSession session, ModelSignature signature, PoolingStrategy pooling, int maxBatchTokens,
        bool maskClsSep = false, int clsId = -1, int sepId = -1)
    {
        _session = session;
        _signature = signature;
        _pooling = pooling;
        _maskClsSep = maskClsSep;
        _clsId = clsId;
        _sepId = sepId;
        // Pinned for the worker's life: ORT reads and writes them in place on every run, and the GC never moves them.
        _ids = GC.AllocateArray<long>(maxBatchTokens, pinned: true);
        _mask = GC.AllocateArray<long>(maxBatchTokens, pinned: true);
        _types = GC.AllocateArray<long>(maxBatchTokens, pinned: true);
        _outputs = [.. signature.Outputs.Select(_ => GC.AllocateArray<float>(checked(maxBatchTokens * signature.HiddenSize), pinned: true))];
        if (signature.Layout.Length > 1)
            _concatenated = new float[checked(maxBatchTokens * signature.Width)];
        _inputNames = signature.TokenTypeIds is { } types
            ? [signature.InputIds, signature.AttentionMask, types]
            : [signature.InputIds, signature.AttentionMask];
    }

    /// <summary>Computes every sentence of <paramref name="batch"/> and tells each job how many of its rows are done.</summary>
    public void Run(InferenceBatch batch)
    {
        // Checked at the last moment: a batch may have waited behind others long enough for its clients to give up.
        batch = batch.WithoutAbandoned(Environment.TickCount64);
        var sentences = batch.Sentences;
        if (sentences.Length == 0)
            return;
        int count = sentences.Length, length = batch.SequenceLength;
        var tokens = count * length;
        _ids.AsSpan(0, tokens).Clear();
        _mask.AsSpan(0, tokens).Clear();
        _types.AsSpan(0, tokens).Clear();
        for (var i = 0; i < count; i++)
        {
            var sentence = sentences[i];
            var ids = sentence.Ids;
            var offset = i * length;
            for (var j = 0; j < ids.Length; j++)
                _ids[offset + j] = ids[j];
            _mask.AsSpan(offset, ids.Length).Fill(1);
            if (sentence.SecondSegment > 0)
                _types.AsSpan(offset + sentence.SecondSegment, ids.Length - sentence.SecondSegment).Fill(1);
            if (_maskClsSep)
            {
                for (var j = 0; j < ids.Length; j++)
                    if (ids[j] == _clsId || ids[j] == _sepId)
                        _mask[offset + j] = 0;
            }
        }

        var metered = !sentences[0].Job.Unmetered;
        if (metered)
            ServerMetrics.BatchStarting(count, length, FirstBatchOfJobs(sentences));
        var started = Stopwatch.GetTimestamp();
        RunModel(count, length);
        if (metered)
            ServerMetrics.Inference(Stopwatch.GetElapsedTime(started));

        _rowsPerJob.Clear();
        if (_signature.Pooled)
        {
            var pooled = _outputs[0].AsSpan(0, count * _signature.HiddenSize);
            for (var i = 0; i < count; i++)
                pooled.Slice(i * _signature.HiddenSize, _signature.HiddenSize).CopyTo(sentences[i].Job.OutputRow(sentences[i].Row));
        }
        else
        {
            var width = _signature.Width;
            var states = Concatenate(tokens);
            for (var i = 0; i < count; i++)
            {
                var sentence = sentences[i];
                var mask = _maskClsSep ? _mask.AsSpan(i * length, length) : default;
                Pooler.Pool(_pooling, states.Slice(i * length * width, length * width), sentence.Ids.Length, width, sentence.Job.OutputRow(sentence.Row), mask);
            }
        }
        foreach (var sentence in sentences)
            _rowsPerJob[sentence.Job] = _rowsPerJob.GetValueOrDefault(sentence.Job) + 1;
        foreach (var (job, rows) in _rowsPerJob)
            job.RowsDone(rows);
    }

    /// <summary>When each job whose first batch this is was accepted: its queue time ends now.</summary>
    static IEnumerable<long> FirstBatchOfJobs(TokenizedSentence[] sentences)
    {
        foreach (var sentence in sentences)
            if (Volatile.Read(ref sentence.Job.QueueTimeRecorded) == 0 && Interlocked.Exchange(ref sentence.Job.QueueTimeRecorded, 1) == 0)
                yield return sentence.Job.AcceptedAt;
    }

    /// <summary>The token states with the chosen layers side by side per token, as bert-as-service concatenates them.</summary>
    ReadOnlySpan<float> Concatenate(int tokens)
    {
        var hidden = _signature.HiddenSize;
        if (_concatenated is null)
            return _outputs[0].AsSpan(0, tokens * hidden);
        var layout = _signature.Layout;
        var width = _signature.Width;
        for (var t = 0; t < tokens; t++)
            for (var l = 0; l < layout.Length; l++)
                _outputs[layout[l]].AsSpan(t * hidden, hidden).CopyTo(_concatenated.AsSpan(t * width + l * hidden, hidden));
        return _concatenated.AsSpan(0, tokens * width);
    }

    void RunModel(int count, int length)
    {
        var tokens = count * length;
        long[] shape = [count, length];
        var memory = OrtMemoryInfo.DefaultInstance;
        using var ids = OrtValue.CreateTensorValueFromMemory(memory, _ids.AsMemory(0, tokens), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(memory, _mask.AsMemory(0, tokens), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(memory, _types.AsMemory(0, tokens), shape);
        var hidden = _signature.HiddenSize;
        var outputs = new OrtValue[_outputs.Length];
        try
        {
            for (var o = 0; o < _outputs.Length; o++)
            {
                outputs[o] = _signature.Pooled
                    ? OrtValue.CreateTensorValueFromMemory(memory, _outputs[o].AsMemory(0, count * hidden), [count, hidden])
                    : OrtValue.CreateTensorValueFromMemory(memory, _outputs[o].AsMemory(0, tokens * hidden), [count, length, hidden]);
            }
            OrtValue[] inputs = _signature.TokenTypeIds is null ? [ids, mask] : [ids, mask, types];
            _session.Run(_runOptions, _inputNames, inputs, _signature.Outputs, outputs);
        }
        finally
        {
            foreach (var output in outputs)
                output?.Dispose();
        }
    }

    /// <inheritdoc/>
    public void Dispose() => _runOptions.Dispose();
}

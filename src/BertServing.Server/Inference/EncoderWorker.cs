using BertServing.Server.Batching;
using BertServing.Server.Options;
using BertServing.Server.Pooling;
using Microsoft.ML.OnnxRuntime;

namespace BertServing.Server.Inference;

/// <summary>
/// Runs batches through the shared session and pools each sentence straight into its job's reply buffer. The
/// input and hidden-state buffers are allocated once, sized for the largest batch the planner makes, and handed
/// to ONNX Runtime as <see cref="OrtValue"/>s over that memory, so a batch allocates no tensors.
/// </summary>
/// <remarks>Not thread-safe: each worker thread owns one.</remarks>
public sealed class EncoderWorker : IDisposable
{
    readonly InferenceSession _session;
    readonly ModelSignature _signature;
    readonly PoolingStrategy _pooling;
    readonly long[] _ids;
    readonly long[] _mask;
    readonly long[] _types; // BERT segment ids: always 0 for single sentences, never written
    readonly float[] _hidden;
    readonly string[] _inputNames;
    readonly string[] _outputNames;
    readonly RunOptions _runOptions = new();
    readonly Dictionary<EncodeJob, int> _rowsPerJob = [];

    /// <summary>Creates a worker whose buffers hold <paramref name="maxBatchTokens"/> padded tokens.</summary>
    public EncoderWorker(InferenceSession session, ModelSignature signature, PoolingStrategy pooling, int maxBatchTokens)
    {
        _session = session;
        _signature = signature;
        _pooling = pooling;
        _ids = new long[maxBatchTokens];
        _mask = new long[maxBatchTokens];
        _types = new long[maxBatchTokens];
        _hidden = new float[checked(maxBatchTokens * signature.HiddenSize)];
        _inputNames = signature.TokenTypeIds is { } types
            ? [signature.InputIds, signature.AttentionMask, types]
            : [signature.InputIds, signature.AttentionMask];
        _outputNames = [signature.HiddenStates];
    }

    /// <summary>Computes every sentence of <paramref name="batch"/> and tells each job how many of its rows are done.</summary>
    public void Run(InferenceBatch batch)
    {
        var sentences = batch.Sentences;
        int count = sentences.Length, length = batch.SequenceLength, hiddenSize = _signature.HiddenSize;
        var tokens = count * length;
        _ids.AsSpan(0, tokens).Clear();
        _mask.AsSpan(0, tokens).Clear();
        for (var i = 0; i < count; i++)
        {
            var ids = sentences[i].Ids;
            var offset = i * length;
            for (var j = 0; j < ids.Length; j++)
                _ids[offset + j] = ids[j];
            _mask.AsSpan(offset, ids.Length).Fill(1);
        }

        RunModel(count, length);

        var hidden = _hidden.AsSpan(0, tokens * hiddenSize);
        _rowsPerJob.Clear();
        for (var i = 0; i < count; i++)
        {
            var sentence = sentences[i];
            Pooler.Pool(_pooling, hidden.Slice(i * length * hiddenSize, length * hiddenSize), sentence.Ids.Length, hiddenSize, sentence.Job.OutputRow(sentence.Row));
            _rowsPerJob[sentence.Job] = _rowsPerJob.GetValueOrDefault(sentence.Job) + 1;
        }
        foreach (var (job, rows) in _rowsPerJob)
            job.RowsDone(rows);
    }

    void RunModel(int count, int length)
    {
        var tokens = count * length;
        long[] shape = [count, length];
        var memory = OrtMemoryInfo.DefaultInstance;
        using var ids = OrtValue.CreateTensorValueFromMemory(memory, _ids.AsMemory(0, tokens), shape);
        using var mask = OrtValue.CreateTensorValueFromMemory(memory, _mask.AsMemory(0, tokens), shape);
        using var types = OrtValue.CreateTensorValueFromMemory(memory, _types.AsMemory(0, tokens), shape);
        using var hidden = OrtValue.CreateTensorValueFromMemory(memory, _hidden.AsMemory(0, tokens * _signature.HiddenSize), [count, length, _signature.HiddenSize]);
        OrtValue[] inputs = _signature.TokenTypeIds is null ? [ids, mask] : [ids, mask, types];
        _session.Run(_runOptions, _inputNames, inputs, _outputNames, [hidden]);
    }

    /// <inheritdoc/>
    public void Dispose() => _runOptions.Dispose();
}

namespace BertServing.Client;

/// <summary>
/// Embeddings of N sentences as one contiguous row-major <c>[N, D]</c> block, plus the model-input tokens of each
/// sentence when they were asked for.
/// </summary>
public sealed class EmbeddingMatrix
{
    readonly float[] _data;

    /// <summary>Wraps <paramref name="data"/> (not copied) as <paramref name="count"/> rows of <paramref name="dimension"/>.</summary>
    public EmbeddingMatrix(float[] data, int count, int dimension, IReadOnlyList<IReadOnlyList<string>>? tokens = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        if ((long)count * dimension != data.Length)
            throw new ArgumentException($"{data.Length} values cannot be {count} rows of {dimension}.", nameof(data));
        _data = data;
        Count = count;
        Dimension = dimension;
        Tokens = tokens;
    }

    /// <summary>Number of sentences (rows).</summary>
    public int Count { get; }

    /// <summary>Length of each embedding (columns).</summary>
    public int Dimension { get; }

    /// <summary>The <c>[N, D]</c> shape, as bert-as-service reports it.</summary>
    public IReadOnlyList<int> Shape => [Count, Dimension];

    /// <summary>Model-input tokens per sentence (with [CLS]/[SEP]) when requested with <c>showTokens</c>; else null.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? Tokens { get; }

    /// <summary>All values, row after row.</summary>
    public ReadOnlySpan<float> Values => _data;

    /// <summary>The embedding of sentence <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> this[int index] => Row(index);

    /// <summary>The embedding of sentence <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Row(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _data.AsSpan(index * Dimension, Dimension);
    }

    /// <summary>Copies the rows out as jagged arrays (convenient, allocates).</summary>
    public float[][] ToArrays()
    {
        var rows = new float[Count][];
        for (var i = 0; i < Count; i++)
            rows[i] = Row(i).ToArray();
        return rows;
    }
}

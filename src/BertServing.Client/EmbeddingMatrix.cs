namespace BertServing.Client;

/// <summary>
/// Embeddings of N sentences as one contiguous row-major <c>[N, D]</c> block (or <c>[N, T, D]</c> token embeddings
/// from a server pooling with <c>NONE</c>), plus the model-input tokens of each sentence when they were asked for.
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

    /// <summary>Wraps <paramref name="data"/> (not copied) as <c>[N, T, D]</c>: <paramref name="tokenRows"/> vectors per sentence.</summary>
    public EmbeddingMatrix(float[] data, int count, int tokenRows, int dimension, IReadOnlyList<IReadOnlyList<string>>? tokens = null)
        : this(data, count, checked(tokenRows * dimension), tokens)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tokenRows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        TokenRows = tokenRows;
        Dimension = dimension;
    }

    /// <summary>Vectors per sentence for token embeddings (<c>[N, T, D]</c>); 0 for one vector per sentence.</summary>
    public int TokenRows { get; }

    /// <summary>Number of sentences (rows).</summary>
    public int Count { get; }

    /// <summary>Length of each embedding vector (the last axis).</summary>
    public int Dimension { get; }

    /// <summary>The <c>[N, D]</c> or <c>[N, T, D]</c> shape, as bert-as-service reports it.</summary>
    public IReadOnlyList<int> Shape => TokenRows > 0 ? [Count, TokenRows, Dimension] : [Count, Dimension];

    int RowLength => TokenRows > 0 ? TokenRows * Dimension : Dimension;

    /// <summary>Model-input tokens per sentence (with [CLS]/[SEP]) when requested with <c>showTokens</c>; else null.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? Tokens { get; }

    /// <summary>All values, row after row.</summary>
    public ReadOnlySpan<float> Values => _data;

    /// <summary>The embedding of sentence <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> this[int index] => Row(index);

    /// <summary>The embedding of sentence <paramref name="index"/> (all its token vectors, one after another, for <c>[N, T, D]</c>).</summary>
    public ReadOnlySpan<float> Row(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _data.AsSpan(index * RowLength, RowLength);
    }

    /// <summary>Token <paramref name="token"/>'s vector in sentence <paramref name="index"/>, for <c>[N, T, D]</c> embeddings.</summary>
    public ReadOnlySpan<float> TokenVector(int index, int token)
    {
        if (TokenRows == 0)
            throw new InvalidOperationException("These are sentence embeddings [N, D]; token vectors come from a server pooling with NONE.");
        ArgumentOutOfRangeException.ThrowIfNegative(token);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(token, TokenRows);
        return Row(index).Slice(token * Dimension, Dimension);
    }

    /// <summary>Rows whose sentence the server cut to its max_seq_len (empty when none was).</summary>
    public IReadOnlyList<int> TruncatedRows { get; init; } = [];

    /// <summary>All rows of <paramref name="parts"/> in order, in one matrix (bas's <c>fetch_all(concat=True)</c>).</summary>
    public static EmbeddingMatrix Concatenate(IReadOnlyList<EmbeddingMatrix> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
            throw new ArgumentException("Nothing to concatenate.", nameof(parts));
        var first = parts[0];
        if (parts.Any(p => p.Dimension != first.Dimension || p.TokenRows != first.TokenRows))
            throw new ArgumentException("Only matrices of one shape per row can be concatenated.", nameof(parts));
        var data = new float[parts.Sum(p => p._data.Length)];
        var offset = 0;
        foreach (var part in parts)
        {
            part._data.CopyTo(data, offset);
            offset += part._data.Length;
        }
        var count = parts.Sum(p => p.Count);
        var tokens = parts.All(p => p.Tokens is not null) ? parts.SelectMany(p => p.Tokens!).ToList() : null;
        return first.TokenRows > 0
            ? new EmbeddingMatrix(data, count, first.TokenRows, first.Dimension, tokens)
            : new EmbeddingMatrix(data, count, first.Dimension, tokens);
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

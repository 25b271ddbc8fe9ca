using System.Numerics.Tensors;

namespace BertServing.Client;

/// <summary>Local similarity helpers over embeddings, vectorised by <see cref="TensorPrimitives"/>.</summary>
public static class Similarity
{
    /// <summary>Cosine similarity of two vectors of equal length.</summary>
    public static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
            throw new ArgumentException($"Vectors differ in length ({a.Length} vs {b.Length}).", nameof(b));
        return TensorPrimitives.CosineSimilarity(a, b);
    }

    /// <summary>Cosine similarity of every row of <paramref name="a"/> with every row of <paramref name="b"/>: <c>[a.Count, b.Count]</c>.</summary>
    public static float[,] CosineMatrix(EmbeddingMatrix a, EmbeddingMatrix b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Dimension != b.Dimension)
            throw new ArgumentException($"Embeddings differ in dimension ({a.Dimension} vs {b.Dimension}).", nameof(b));

        // Normalise once per row so each pair costs one dot product instead of three reductions.
        var left = Normalized(a);
        var right = ReferenceEquals(a, b) ? left : Normalized(b);
        var d = a.Dimension;
        var result = new float[a.Count, b.Count];
        for (var i = 0; i < a.Count; i++)
        {
            var row = left.AsSpan(i * d, d);
            for (var j = 0; j < b.Count; j++)
                result[i, j] = TensorPrimitives.Dot(row, right.AsSpan(j * d, d));
        }
        return result;
    }

    /// <summary>Cosine similarity of all pairs of rows of <paramref name="embeddings"/>.</summary>
    public static float[,] CosineMatrix(EmbeddingMatrix embeddings) => CosineMatrix(embeddings, embeddings);

    static float[] Normalized(EmbeddingMatrix m)
    {
        var d = m.Dimension;
        var copy = m.Values.ToArray();
        for (var i = 0; i < m.Count; i++)
        {
            var row = copy.AsSpan(i * d, d);
            var norm = TensorPrimitives.Norm(row);
            if (norm > 0)
                TensorPrimitives.Divide(row, norm, row);
        }
        return copy;
    }
}

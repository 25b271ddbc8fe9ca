using BertServing.Client;

namespace BertServing.Tests.Unit;

public sealed class SimilarityTests
{
    [Fact]
    public void Cosine_of_known_vectors()
    {
        Assert.Equal(1f, Similarity.Cosine([1, 2, 3], [2, 4, 6]), 5);
        Assert.Equal(0f, Similarity.Cosine([1, 0], [0, 5]), 5);
        Assert.Equal(-1f, Similarity.Cosine([1, 1], [-3, -3]), 5);
        Assert.Throws<ArgumentException>(() => Similarity.Cosine([1, 2], [1, 2, 3]));
    }

    [Fact]
    public void Matrix_agrees_with_pairwise_cosine()
    {
        var m = new EmbeddingMatrix([1, 0, 0, 1, 1, 1], count: 3, dimension: 2);
        var matrix = Similarity.CosineMatrix(m);

        for (var i = 0; i < 3; i++)
            for (var j = 0; j < 3; j++)
                Assert.Equal(Similarity.Cosine(m[i], m[j]), matrix[i, j], 5);
        Assert.Equal(MathF.Sqrt(0.5f), matrix[0, 2], 5);
    }

    [Fact]
    public void Matrix_shape_rejects_mismatched_data()
    {
        Assert.Throws<ArgumentException>(() => new EmbeddingMatrix([1, 2, 3], count: 2, dimension: 2));
        Assert.Throws<ArgumentException>(() => Similarity.CosineMatrix(new EmbeddingMatrix([1, 2], 1, 2), new EmbeddingMatrix([1, 2, 3], 1, 3)));
    }
}

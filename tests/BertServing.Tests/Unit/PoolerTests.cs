using BertServing.Server.Options;
using BertServing.Server.Pooling;

namespace BertServing.Tests.Unit;

public sealed class PoolerTests
{
    // Three token rows of width 2, the third being padding that no strategy may read.
    static readonly float[] Tokens = [1, -2, 3, 4, 100, 100];

    [Theory]
    [InlineData(PoolingStrategy.ReduceMean, new float[] { 2, 1 })]
    [InlineData(PoolingStrategy.ReduceMax, new float[] { 3, 4 })]
    [InlineData(PoolingStrategy.ReduceMeanMax, new float[] { 2, 1, 3, 4 })]
    [InlineData(PoolingStrategy.FirstToken, new float[] { 1, -2 })]
    [InlineData(PoolingStrategy.LastToken, new float[] { 3, 4 })]
    public void Pools_only_the_real_tokens(PoolingStrategy strategy, float[] expected)
    {
        var output = new float[Pooler.OutputDimension(strategy, 2)];
        Pooler.Pool(strategy, Tokens, length: 2, hidden: 2, output);
        Assert.Equal(expected, output);
    }

    [Fact]
    public void Mean_of_one_token_is_that_token()
    {
        var output = new float[2];
        Pooler.Pool(PoolingStrategy.ReduceMean, Tokens, length: 1, hidden: 2, output);
        Assert.Equal([1f, -2f], output);
    }
}

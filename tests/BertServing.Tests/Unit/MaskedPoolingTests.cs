using BertServing.Server.Options;
using BertServing.Server.Pooling;

namespace BertServing.Tests.Unit;

/// <summary>Pooling with bert-as-service's input_mask, as -mask_cls_sep makes it: [CLS] and [SEP] rows out.</summary>
public sealed class MaskedPoolingTests
{
    // [CLS], two words, [SEP], one padding row; width 2.
    static readonly float[] Tokens = [9, 9, 1, -2, 3, 4, 9, 9, 100, 100];
    static readonly long[] Mask = [0, 1, 1, 0];

    [Theory]
    [InlineData(PoolingStrategy.ReduceMean, new float[] { 2, 1 })]
    [InlineData(PoolingStrategy.ReduceMax, new float[] { 3, 4 })]
    [InlineData(PoolingStrategy.FirstToken, new float[] { 9, 9 })] // L[:, 0] whatever the mask
    [InlineData(PoolingStrategy.LastToken, new float[] { 1, -2 })] // row sum(mask) - 1 = 1, as bert-as-service computes it
    public void Masked_rows_do_not_count(PoolingStrategy strategy, float[] expected)
    {
        var output = new float[2];
        Pooler.Pool(strategy, Tokens, length: 4, hidden: 2, output, Mask);
        Assert.Equal(expected, output);
    }

    [Fact]
    public void None_copies_unmasked_rows_and_leaves_the_rest_zero()
    {
        var output = new float[5 * 2];
        Pooler.Pool(PoolingStrategy.None, Tokens, length: 4, hidden: 2, output, Mask);
        Assert.Equal([0, 0, 1, -2, 3, 4, 0, 0, 0, 0], output);
    }

    [Fact]
    public void Nothing_unmasked_gives_zeros_not_garbage()
    {
        var output = new float[] { 7, 7 };
        Pooler.Pool(PoolingStrategy.ReduceMean, Tokens, length: 2, hidden: 2, output, [0, 0]);
        Assert.Equal([0f, 0f], output);
        Pooler.Pool(PoolingStrategy.ReduceMax, Tokens, length: 2, hidden: 2, output, [0, 0]);
        Assert.Equal([0f, 0f], output);
    }
}

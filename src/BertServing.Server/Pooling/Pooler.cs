using System.Numerics.Tensors;
using BertServing.Server.Options;

namespace BertServing.Server.Pooling;

/// <summary>
/// Turns one sentence's token vectors into its sentence vector, with bert-as-service's math. Batches are padded
/// dynamically, so a sentence's real tokens are exactly its first <c>length</c> rows; without a mask every one of
/// them counts. A mask (from <c>-mask_cls_sep</c>) takes [CLS]/[SEP] rows out as bert-as-service's <c>input_mask</c> does.
/// </summary>
public static class Pooler
{
    /// <summary>Output length per sentence for a hidden size (per token row for <see cref="PoolingStrategy.None"/>).</summary>
    public static int OutputDimension(PoolingStrategy strategy, int hidden) =>
        strategy == PoolingStrategy.ReduceMeanMax ? 2 * hidden : hidden;

    /// <summary>
    /// Pools <paramref name="tokens"/> (at least <paramref name="length"/> rows of <paramref name="hidden"/>) into
    /// <paramref name="destination"/>. For <see cref="PoolingStrategy.None"/> the destination holds a row per token
    /// and must arrive zeroed: rows past the sentence (and masked rows) stay zero.
    /// </summary>
    /// <param name="strategy">How to pool.</param>
    /// <param name="tokens">The sentence's token vectors, row-major.</param>
    /// <param name="length">Real tokens (rows) of the sentence.</param>
    /// <param name="hidden">Floats per token.</param>
    /// <param name="destination">Where the result goes.</param>
    /// <param name="mask">Per row 1 (pooled) or 0 (masked out); empty means all <paramref name="length"/> rows count.</param>
    public static void Pool(PoolingStrategy strategy, ReadOnlySpan<float> tokens, int length, int hidden, Span<float> destination, ReadOnlySpan<long> mask = default)
    {
        switch (strategy)
        {
            case PoolingStrategy.ReduceMean:
                Mean(tokens, length, hidden, destination, mask);
                break;
            case PoolingStrategy.ReduceMax:
                Max(tokens, length, hidden, destination, mask);
                break;
            case PoolingStrategy.ReduceMeanMax:
                Mean(tokens, length, hidden, destination[..hidden], mask);
                Max(tokens, length, hidden, destination.Slice(hidden, hidden), mask);
                break;
            case PoolingStrategy.FirstToken:
                tokens[..hidden].CopyTo(destination);
                break;
            case PoolingStrategy.LastToken:
                // bert-as-service takes row sum(mask) - 1: the last real row, or with -mask_cls_sep two rows earlier.
                var last = Math.Max(0, Counted(length, mask) - 1);
                tokens.Slice(last * hidden, hidden).CopyTo(destination);
                break;
            case PoolingStrategy.None:
                for (var t = 0; t < length; t++)
                    if (mask.IsEmpty || mask[t] != 0)
                        tokens.Slice(t * hidden, hidden).CopyTo(destination.Slice(t * hidden, hidden));
                break;
            default:
                throw new NotSupportedException($"Pooling {strategy} is not computed from token vectors.");
        }
    }

    static int Counted(int length, ReadOnlySpan<long> mask)
    {
        if (mask.IsEmpty) return length;
        var count = 0;
        for (var t = 0; t < length; t++)
            if (mask[t] != 0) count++;
        return count;
    }

    static void Mean(ReadOnlySpan<float> tokens, int length, int hidden, Span<float> destination, ReadOnlySpan<long> mask)
    {
        destination.Clear();
        var count = 0;
        for (var t = 0; t < length; t++)
        {
            if (!mask.IsEmpty && mask[t] == 0) continue;
            TensorPrimitives.Add(destination, tokens.Slice(t * hidden, hidden), destination);
            count++;
        }
        // bert-as-service divides by (mask sum + 1e-10): below float resolution for count >= 1, and zeros for count 0.
        if (count > 0)
            TensorPrimitives.Divide(destination, count, destination);
    }

    static void Max(ReadOnlySpan<float> tokens, int length, int hidden, Span<float> destination, ReadOnlySpan<long> mask)
    {
        var first = true;
        for (var t = 0; t < length; t++)
        {
            if (!mask.IsEmpty && mask[t] == 0) continue;
            var row = tokens.Slice(t * hidden, hidden);
            if (first)
                row.CopyTo(destination);
            else
                TensorPrimitives.Max(destination, row, destination);
            first = false;
        }
        if (first)
            destination.Clear(); // nothing unmasked: zeros rather than bert-as-service's -1e30
    }
}

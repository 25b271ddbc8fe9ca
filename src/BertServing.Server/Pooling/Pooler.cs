using System.Numerics.Tensors;
using BertServing.Server.Options;

namespace BertServing.Server.Pooling;

/// <summary>
/// Turns one sentence's token vectors into its sentence vector, with bert-as-service's math. Batches are padded
/// dynamically, so a sentence's real tokens are exactly its first <c>length</c> rows and masking reduces to
/// reading only those rows.
/// </summary>
public static class Pooler
{
    /// <summary>Output length for a hidden size.</summary>
    public static int OutputDimension(PoolingStrategy strategy, int hidden) =>
        strategy == PoolingStrategy.ReduceMeanMax ? 2 * hidden : hidden;

    /// <summary>Pools <paramref name="tokens"/> (at least <paramref name="length"/> rows of <paramref name="hidden"/>) into <paramref name="destination"/>.</summary>
    public static void Pool(PoolingStrategy strategy, ReadOnlySpan<float> tokens, int length, int hidden, Span<float> destination)
    {
        switch (strategy)
        {
            case PoolingStrategy.ReduceMean:
                Mean(tokens, length, hidden, destination);
                break;
            case PoolingStrategy.ReduceMax:
                Max(tokens, length, hidden, destination);
                break;
            case PoolingStrategy.ReduceMeanMax:
                Mean(tokens, length, hidden, destination[..hidden]);
                Max(tokens, length, hidden, destination.Slice(hidden, hidden));
                break;
            case PoolingStrategy.FirstToken:
                tokens[..hidden].CopyTo(destination);
                break;
            case PoolingStrategy.LastToken:
                tokens.Slice((length - 1) * hidden, hidden).CopyTo(destination);
                break;
            default:
                throw new NotSupportedException($"Pooling {strategy} is not a per-sentence reduction.");
        }
    }

    static void Mean(ReadOnlySpan<float> tokens, int length, int hidden, Span<float> destination)
    {
        tokens[..hidden].CopyTo(destination);
        for (var t = 1; t < length; t++)
            TensorPrimitives.Add(destination, tokens.Slice(t * hidden, hidden), destination);
        // bert-as-service divides by (mask sum + 1e-10); the epsilon is below float resolution for any length >= 1.
        TensorPrimitives.Divide(destination, length, destination);
    }

    static void Max(ReadOnlySpan<float> tokens, int length, int hidden, Span<float> destination)
    {
        tokens[..hidden].CopyTo(destination);
        for (var t = 1; t < length; t++)
            TensorPrimitives.Max(destination, tokens.Slice(t * hidden, hidden), destination);
    }
}

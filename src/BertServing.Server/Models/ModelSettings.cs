using BertServing.Server.Options;

namespace BertServing.Server.Models;

/// <summary>
/// How the served model is used, after the precedence rule: an explicit flag beats what the model declares,
/// which beats bert-as-service's default.
/// </summary>
public sealed record ModelSettings(bool DoLowerCase, int? MaxSeqLen, PoolingStrategy Pooling, int MaxPositions)
{
    /// <summary>Tokens per sentence at most: <see cref="MaxSeqLen"/>, or the position limit for NONE.</summary>
    public int TokenLimit => MaxSeqLen ?? MaxPositions;

    /// <summary>Applies the precedence rule; throws <see cref="ModelLoadException"/> for a length the model cannot take.</summary>
    public static ModelSettings Resolve(ServerOptions options, ModelSpec model)
    {
        var maxSeqLen = options.MaxSeqLenExplicit ? options.MaxSeqLen : model.MaxSeqLength ?? options.MaxSeqLen;
        if (maxSeqLen > model.MaxPositions)
            throw new ModelLoadException($"-max_seq_len {maxSeqLen} exceeds the model's {model.MaxPositions} positions; use at most {model.MaxPositions} or NONE.");
        var pooling = options.PoolingStrategyExplicit ? options.PoolingStrategy : model.Pooling ?? options.PoolingStrategy;
        if (pooling is PoolingStrategy.None or PoolingStrategy.ClsPooled)
            throw new ModelLoadException($"-pooling_strategy {pooling.ToName()} is not supported yet; use REDUCE_MEAN, REDUCE_MAX, REDUCE_MEAN_MAX, FIRST_TOKEN or LAST_TOKEN.");
        return new ModelSettings(model.DoLowerCase ?? true, maxSeqLen, pooling, model.MaxPositions);
    }
}

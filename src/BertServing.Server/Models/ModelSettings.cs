using BertServing.Server.Options;

namespace BertServing.Server.Models;

/// <summary>
/// How the served model is used, after the precedence rule: an explicit flag beats what the model declares,
/// which beats bert-as-service's default.
/// </summary>
public sealed record ModelSettings(bool DoLowerCase, int? MaxSeqLen, PoolingStrategy Pooling, int MaxPositions, IReadOnlyList<int> PoolingLayer)
{
    /// <summary>Tokens per sentence at most: <see cref="MaxSeqLen"/>, or the position limit for NONE.</summary>
    public int TokenLimit => MaxSeqLen ?? MaxPositions;

    /// <summary>Whether only the last layer is pooled, which every export outputs without editing the graph.</summary>
    public bool LastLayerOnly => PoolingLayer.All(l => l == -1);

    /// <summary>Applies the precedence rule; throws <see cref="ModelLoadException"/> for a length the model cannot take.</summary>
    public static ModelSettings Resolve(ServerOptions options, ModelSpec model)
    {
        var maxSeqLen = options.MaxSeqLenExplicit ? options.MaxSeqLen : model.MaxSeqLength ?? options.MaxSeqLen;
        if (maxSeqLen > model.MaxPositions)
            throw new ModelLoadException($"-max_seq_len {maxSeqLen} exceeds the model's {model.MaxPositions} positions; use at most {model.MaxPositions} or NONE.");
        var pooling = options.PoolingStrategyExplicit ? options.PoolingStrategy : model.Pooling ?? options.PoolingStrategy;
        // A model that declares its pooling (sentence-transformers) was trained on its last layer; bert-as-service's -2
        // is for raw pretrained BERT.
        var layers = options.PoolingLayerExplicit ? options.PoolingLayer : model.Pooling is not null ? [-1] : options.PoolingLayer;
        var lowerCase = !options.CasedTokenization && (model.DoLowerCase ?? true);
        return new ModelSettings(lowerCase, maxSeqLen, pooling, model.MaxPositions, layers);
    }
}

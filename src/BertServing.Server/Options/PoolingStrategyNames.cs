namespace BertServing.Server.Options;

/// <summary>bert-as-service's spellings of <see cref="PoolingStrategy"/>.</summary>
public static class PoolingStrategyNames
{
    static readonly Dictionary<string, PoolingStrategy> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["NONE"] = PoolingStrategy.None,
        ["REDUCE_MAX"] = PoolingStrategy.ReduceMax,
        ["REDUCE_MEAN"] = PoolingStrategy.ReduceMean,
        ["REDUCE_MEAN_MAX"] = PoolingStrategy.ReduceMeanMax,
        ["FIRST_TOKEN"] = PoolingStrategy.FirstToken,
        ["CLS_TOKEN"] = PoolingStrategy.FirstToken,
        ["LAST_TOKEN"] = PoolingStrategy.LastToken,
        ["SEP_TOKEN"] = PoolingStrategy.LastToken,
        ["CLS_POOLED"] = PoolingStrategy.ClsPooled,
    };

    /// <summary>All accepted names.</summary>
    public static IEnumerable<string> All => ByName.Keys;

    /// <summary>Parses a name, case-insensitively.</summary>
    public static bool TryParse(string name, out PoolingStrategy strategy) => ByName.TryGetValue(name, out strategy);

    /// <summary>The canonical name.</summary>
    public static string ToName(this PoolingStrategy strategy) => strategy switch
    {
        PoolingStrategy.None => "NONE",
        PoolingStrategy.ReduceMax => "REDUCE_MAX",
        PoolingStrategy.ReduceMean => "REDUCE_MEAN",
        PoolingStrategy.ReduceMeanMax => "REDUCE_MEAN_MAX",
        PoolingStrategy.FirstToken => "FIRST_TOKEN",
        PoolingStrategy.LastToken => "LAST_TOKEN",
        PoolingStrategy.ClsPooled => "CLS_POOLED",
        _ => strategy.ToString(),
    };
}

namespace BertServing.Server.Options;

/// <summary>bert-as-service's pooling strategies; the values are the integers its config reports.</summary>
public enum PoolingStrategy
{
    /// <summary>Token embeddings, unpooled.</summary>
    None = 0,
    /// <summary>Masked max over tokens.</summary>
    ReduceMax = 1,
    /// <summary>Masked mean over tokens.</summary>
    ReduceMean = 2,
    /// <summary>Mean and max, concatenated (2 × hidden).</summary>
    ReduceMeanMax = 3,
    /// <summary>The [CLS] token's vector (alias CLS_TOKEN).</summary>
    FirstToken = 4,
    /// <summary>The [SEP] token's vector (alias SEP_TOKEN).</summary>
    LastToken = 5,
    /// <summary>BERT's tanh pooler output.</summary>
    ClsPooled = 6,
}

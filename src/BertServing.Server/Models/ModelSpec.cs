using BertServing.Server.Options;

namespace BertServing.Server.Models;

/// <summary>
/// A model ready to load: where its graph and vocabulary come from and what it declares about itself
/// (lower-casing, sequence length, pooling). Declared values are null where the model says nothing.
/// </summary>
public sealed class ModelSpec
{
    /// <summary>Name for logs and status: the folder name, or the built-in model's name.</summary>
    public required string Name { get; init; }

    /// <summary>Reads the ONNX graph bytes.</summary>
    public required Func<byte[]> ReadOnnx { get; init; }

    /// <summary>Opens vocab.txt.</summary>
    public required Func<Stream> OpenVocabulary { get; init; }

    /// <summary>do_lower_case from tokenizer_config.json.</summary>
    public bool? DoLowerCase { get; init; }

    /// <summary>max_seq_length from sentence_bert_config.json.</summary>
    public int? MaxSeqLength { get; init; }

    /// <summary>The pooling mode from 1_Pooling/config.json.</summary>
    public PoolingStrategy? Pooling { get; init; }

    /// <summary>num_hidden_layers from the config; the graph's own count is used when absent.</summary>
    public int? Layers { get; init; }

    /// <summary>max_position_embeddings from config.json; 512 (BERT's) when absent.</summary>
    public int MaxPositions { get; init; } = 512;
}

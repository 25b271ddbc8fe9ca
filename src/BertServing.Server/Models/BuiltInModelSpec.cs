using BertServing.Server.Options;

namespace BertServing.Server.Models;

/// <summary>What the built-in model declares, as sentence-transformers serves all-MiniLM-L6-v2.</summary>
public static class BuiltInModelSpec
{
    /// <summary>Hidden size of all-MiniLM-L6-v2.</summary>
    public const int Dimension = 384;

    /// <summary>The spec: mean pooling of the last layer, max length 256, lower-cased.</summary>
    public static ModelSpec Create() => new()
    {
        Name = BuiltInModel.Name,
        ReadOnnx = () =>
        {
            using var stream = BuiltInModel.OpenOnnx();
            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        },
        OpenVocabulary = BuiltInModel.OpenVocabulary,
        DoLowerCase = true,
        MaxSeqLength = 256,
        Pooling = PoolingStrategy.ReduceMean,
        MaxPositions = 512,
    };
}

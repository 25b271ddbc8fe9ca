using System.Text.Json;

namespace BertServing.Server.Models.Weights;

/// <summary>
/// The architecture numbers a BERT encoder is built from, as <c>bert_config.json</c> (Google) and <c>config.json</c>
/// (Hugging Face) both spell them. Architectures that are not BERT's are refused here, by name.
/// </summary>
public sealed record BertConfig(int HiddenSize, int Layers, int Heads, int IntermediateSize, int MaxPositions, int TypeVocabSize, int VocabSize, float LayerNormEps)
{
    /// <summary>Reads <paramref name="path"/>; <see cref="ModelLoadException"/> naming the missing or unsupported field.</summary>
    public static BertConfig Read(string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            throw new ModelLoadException($"Cannot read the model config {path}: {e.Message}");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.TryGetProperty("model_type", out var type) && type.GetString() is { } name && name != "bert")
                throw new ModelLoadException($"{path} describes a '{name}' model; only BERT encoders (model_type bert) can be built from weights.");
            if (root.TryGetProperty("hidden_act", out var act) && act.GetString() is { } activation && activation is not ("gelu" or "gelu_python"))
                throw new ModelLoadException($"{path}: hidden_act '{activation}' is not supported; BERT uses gelu.");
            int Int(string key, int? fallback = null) =>
                root.TryGetProperty(key, out var v) && v.TryGetInt32(out var i) ? i
                : fallback ?? throw new ModelLoadException($"{path} has no integer '{key}'.");
            var config = new BertConfig(
                Int("hidden_size"), Int("num_hidden_layers"), Int("num_attention_heads"), Int("intermediate_size"),
                Int("max_position_embeddings", 512), Int("type_vocab_size", 2), Int("vocab_size"),
                root.TryGetProperty("layer_norm_eps", out var eps) && eps.TryGetSingle(out var e) ? e : 1e-12f);
            if (config.HiddenSize % config.Heads != 0)
                throw new ModelLoadException($"{path}: hidden_size {config.HiddenSize} is not a multiple of num_attention_heads {config.Heads}.");
            return config;
        }
    }
}

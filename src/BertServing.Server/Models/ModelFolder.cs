using System.Text.Json;
using BertServing.Server.Options;

namespace BertServing.Server.Models;

/// <summary>
/// Reads a model folder as Hugging Face / sentence-transformers exports lay it out: <c>model.onnx</c> or
/// <c>onnx/model.onnx</c>, <c>vocab.txt</c>, and when present <c>config.json</c>, <c>tokenizer_config.json</c>,
/// <c>sentence_bert_config.json</c> and <c>1_Pooling/config.json</c>.
/// </summary>
public static class ModelFolder
{
    /// <summary>Describes the model in <paramref name="dir"/>; throws <see cref="ModelLoadException"/> naming what is missing.</summary>
    public static ModelSpec Open(string dir)
    {
        var full = Path.GetFullPath(dir);
        if (!Directory.Exists(full))
            throw new ModelLoadException($"-model_dir {full} does not exist.");
        var onnx = new[] { "model.onnx", Path.Combine("onnx", "model.onnx") }
            .Select(f => Path.Combine(full, f)).FirstOrDefault(File.Exists)
            ?? throw new ModelLoadException($"No model.onnx or onnx/model.onnx in {full}.");
        var vocab = Path.Combine(full, "vocab.txt");
        if (!File.Exists(vocab))
            throw new ModelLoadException($"No vocab.txt in {full}: the WordPiece vocabulary is required.");

        using var config = ReadJson(full, "config.json");
        using var tokenizer = ReadJson(full, "tokenizer_config.json");
        using var sbert = ReadJson(full, "sentence_bert_config.json");
        using var pooling = ReadJson(full, Path.Combine("1_Pooling", "config.json"));
        return new ModelSpec
        {
            Name = Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)),
            ReadOnnx = () => File.ReadAllBytes(onnx),
            OpenVocabulary = () => File.OpenRead(vocab),
            DoLowerCase = Bool(tokenizer, "do_lower_case"),
            MaxSeqLength = Int(sbert, "max_seq_length"),
            MaxPositions = Int(config, "max_position_embeddings") ?? 512,
            Pooling = PoolingOf(pooling),
        };
    }

    static PoolingStrategy? PoolingOf(JsonDocument? pooling)
    {
        if (pooling is null) return null;
        bool mean = Bool(pooling, "pooling_mode_mean_tokens") == true;
        bool max = Bool(pooling, "pooling_mode_max_tokens") == true;
        bool cls = Bool(pooling, "pooling_mode_cls_token") == true;
        return (mean, max, cls) switch
        {
            (true, true, false) => PoolingStrategy.ReduceMeanMax,
            (true, false, false) => PoolingStrategy.ReduceMean,
            (false, true, false) => PoolingStrategy.ReduceMax,
            (false, false, true) => PoolingStrategy.FirstToken,
            _ => null, // combinations bert-as-service has no name for: leave the default
        };
    }

    static JsonDocument? ReadJson(string dir, string file)
    {
        var path = Path.Combine(dir, file);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"{path} is not valid JSON: {e.Message}");
        }
    }

    static bool? Bool(JsonDocument? doc, string key) =>
        doc?.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? v.GetBoolean() : null;

    static int? Int(JsonDocument? doc, string key) =>
        doc?.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(key, out var v) && v.TryGetInt32(out var i)
            ? i : null;
}

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
    /// <param name="dir">The <c>-model_dir</c>: vocabulary, configs, and the graph unless <paramref name="tunedDir"/> is given.</param>
    /// <param name="tunedDir">The <c>-tuned_model_dir</c>, whose graph replaces <paramref name="dir"/>'s.</param>
    /// <param name="ckptName">The <c>-ckpt_name</c>: a graph file name, or bert-as-service's default to look for model.onnx.</param>
    /// <param name="configName">The <c>-config_name</c>: the model config, falling back to config.json.</param>
    public static ModelSpec Open(string dir, string? tunedDir = null, string ckptName = ServerOptions.DefaultCkptName, string configName = ServerOptions.DefaultConfigName)
    {
        var full = Path.GetFullPath(dir);
        if (!Directory.Exists(full))
            throw new ModelLoadException($"-model_dir {full} does not exist.");
        var graphDir = tunedDir is null ? full : Path.GetFullPath(tunedDir);
        var onnx = FindGraph(graphDir, ckptName);
        var vocab = Path.Combine(full, "vocab.txt");
        if (!File.Exists(vocab))
            throw new ModelLoadException($"No vocab.txt in {full}: the WordPiece vocabulary is required.");

        using var config = ReadJson(full, configName) ?? ReadJson(full, "config.json");
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
            Layers = Int(config, "num_hidden_layers"),
            Pooling = PoolingOf(pooling),
        };
    }

    static string FindGraph(string dir, string ckptName)
    {
        if (ckptName != ServerOptions.DefaultCkptName)
        {
            var named = Path.Combine(dir, ckptName);
            if (File.Exists(named) && named.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
                return named;
            throw new ModelLoadException(File.Exists(named) || File.Exists(named + ".index")
                ? $"-ckpt_name {ckptName}: only ONNX graphs (.onnx) are served; TensorFlow checkpoints are not supported yet."
                : $"-ckpt_name {ckptName}: no such file in {dir}.");
        }
        var onnx = new[] { "model.onnx", Path.Combine("onnx", "model.onnx") }.Select(f => Path.Combine(dir, f)).FirstOrDefault(File.Exists);
        if (onnx is not null)
            return onnx;
        throw new ModelLoadException(File.Exists(Path.Combine(dir, ckptName + ".index"))
            ? $"{dir} holds a TensorFlow checkpoint ({ckptName}); only ONNX graphs are served so far. Export it to ONNX (model.onnx)."
            : $"No model.onnx or onnx/model.onnx in {dir}.");
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

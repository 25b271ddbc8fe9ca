using System.Text.Json;
using BertServing.Server.Options;

namespace BertServing.Server.Models;

/// <summary>
/// Reads a model folder as Hugging Face / sentence-transformers exports lay it out: <c>model.onnx</c> or
/// <c>onnx/model.onnx</c>, <c>vocab.txt</c>, and when present <c>config.json</c>, <c>tokenizer_config.json</c>,
/// <c>sentence_bert_config.json</c> and <c>1_Pooling/config.json</c>. A folder with weights and no graph (Hugging
/// Face's <c>model.safetensors</c>, or Google's <c>bert_model.ckpt.*</c> with <c>bert_config.json</c>) is served
/// through a graph built from the weights (<see cref="Weights.WeightsGraph"/>).
/// </summary>
public static class ModelFolder
{
    /// <summary>Describes the model in <paramref name="dir"/>; throws <see cref="ModelLoadException"/> naming what is missing.</summary>
    /// <param name="dir">The <c>-model_dir</c>: vocabulary, configs, and the graph unless <paramref name="tunedDir"/> is given.</param>
    /// <param name="tunedDir">The <c>-tuned_model_dir</c>, whose graph replaces <paramref name="dir"/>'s.</param>
    /// <param name="ckptName">The <c>-ckpt_name</c>: a graph file name, or bert-as-service's default to look for model.onnx.</param>
    /// <param name="configName">The <c>-config_name</c>: the model config, falling back to config.json.</param>
    /// <param name="graphTmpDir">Where graphs built from weights are cached (<c>-graph_tmp_dir</c>).</param>
    public static ModelSpec Open(string dir, string? tunedDir = null, string ckptName = ServerOptions.DefaultCkptName, string configName = ServerOptions.DefaultConfigName, string? graphTmpDir = null)
    {
        var full = Path.GetFullPath(dir);
        if (!Directory.Exists(full))
            throw new ModelLoadException($"-model_dir {full} does not exist.");
        var graphDir = tunedDir is null ? full : Path.GetFullPath(tunedDir);
        var (graphFile, kind) = FindGraph(graphDir, ckptName);
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
            ReadOnnx = kind == GraphKind.Onnx
                ? () => File.ReadAllBytes(graphFile)
                : () => BuildFromWeights(graphFile, kind, ConfigPath(full, configName), graphTmpDir),
            OpenVocabulary = () => File.OpenRead(vocab),
            DoLowerCase = Bool(tokenizer, "do_lower_case"),
            MaxSeqLength = Int(sbert, "max_seq_length"),
            MaxPositions = Int(config, "max_position_embeddings") ?? 512,
            Layers = Int(config, "num_hidden_layers"),
            Pooling = PoolingOf(pooling),
        };
    }

    enum GraphKind { Onnx, Safetensors, TfCheckpoint }

    static (string Path, GraphKind Kind) FindGraph(string dir, string ckptName)
    {
        if (ckptName != ServerOptions.DefaultCkptName)
        {
            // NAME may be given with or without its extension: model.onnx and model both pick model.onnx.
            var named = Path.Combine(dir, ckptName);
            foreach (var file in new[] { named, named + ".onnx", named + ".safetensors" })
            {
                if (File.Exists(file) && file.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
                    return (file, GraphKind.Onnx);
                if (File.Exists(file) && file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
                    return (file, GraphKind.Safetensors);
            }
            if (File.Exists(named + ".index"))
                return (named, GraphKind.TfCheckpoint); // a fine-tuned checkpoint, e.g. model.ckpt-1000
            throw new ModelLoadException($"-ckpt_name {ckptName}: none of {ckptName}, {ckptName}.onnx, {ckptName}.safetensors or the TensorFlow checkpoint {ckptName}.index is in {dir}.");
        }
        var onnx = new[] { "model.onnx", Path.Combine("onnx", "model.onnx") }.Select(f => Path.Combine(dir, f)).FirstOrDefault(File.Exists);
        if (onnx is not null)
            return (onnx, GraphKind.Onnx);
        var safetensors = Path.Combine(dir, "model.safetensors");
        if (File.Exists(safetensors))
            return (safetensors, GraphKind.Safetensors);
        var checkpoint = Path.Combine(dir, ckptName);
        if (File.Exists(checkpoint + ".index"))
            return (checkpoint, GraphKind.TfCheckpoint);
        throw new ModelLoadException($"No model in {dir}: looked for model.onnx, onnx/model.onnx, model.safetensors and {ckptName}.index.");
    }

    static string ConfigPath(string dir, string configName)
    {
        var named = Path.Combine(dir, configName);
        if (File.Exists(named))
            return named;
        var fallback = Path.Combine(dir, "config.json");
        return File.Exists(fallback) ? fallback : throw new ModelLoadException($"No {configName} or config.json in {dir}: building the graph from weights needs the model config.");
    }

    static byte[] BuildFromWeights(string graphFile, GraphKind kind, string config, string? cacheDir)
    {
        var files = kind == GraphKind.Safetensors
            ? [graphFile, config]
            : Directory.GetFiles(Path.GetDirectoryName(graphFile)!, Path.GetFileName(graphFile) + ".*").Order(StringComparer.Ordinal).Append(config).ToArray();
        return Weights.WeightsGraph.GetOrBuild(files, () =>
        {
            var raw = kind == GraphKind.Safetensors ? Weights.SafetensorsReader.Read(graphFile) : Weights.TfCheckpointReader.Read(graphFile);
            return Weights.BertWeights.From(raw, Weights.BertConfig.Read(config), graphFile);
        }, cacheDir, out _, out _);
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

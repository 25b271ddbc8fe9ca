using System.Globalization;
using System.Text.Json;
using BertServing.Client;
using BertServing.Server.Models;
using BertServing.Server.Models.Weights;
using BertServing.Tests.Support;

namespace BertServing.Tests.Models;

/// <summary>
/// Model folders with weights and no graph, made from the built-in model's real weights: the server builds the BERT
/// graph itself and must give the built-in model's embeddings.
/// </summary>
public sealed class WeightsModelTests : IDisposable
{
    static readonly Lazy<Dictionary<string, WeightTensor>> Weights = new(() => OnnxWeights.ExtractHuggingFace(BuiltInModelSpec.Create().ReadOnnx()));
    readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("bertserving-weights-");
    readonly string[] _sentences = [.. BlogSentences.Three.Concat(File.ReadLines(RepoPaths.TestData("sentences-4000.txt")).Take(5))];

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>The built-in model exported as a folder, its graph replaced by <paramref name="write"/>'s files.</summary>
    string Folder(string name, Action<string> write)
    {
        var folder = Path.Combine(_dir.FullName, name);
        ModelExporter.ExportBuiltIn(folder);
        File.Delete(Path.Combine(folder, "model.onnx"));
        write(folder);
        return folder;
    }

    [Fact]
    public async Task A_graph_built_from_weights_has_every_layer_and_the_pooler()
    {
        var folder = Folder("layers", f => SafetensorsWriter.Write(Path.Combine(f, "model.safetensors"), Weights.Value));
        var cache = Path.Combine(_dir.FullName, "cache");
        var servers = await Task.WhenAll(
            ServerProcess.StartAsync("-cpu", "-model_dir", folder, "-graph_tmp_dir", cache, "-pooling_layer", "-4", "-2"),
            ServerProcess.StartAsync("-cpu", "-graph_tmp_dir", cache, "-pooling_layer", "-4", "-2"),
            ServerProcess.StartAsync("-cpu", "-model_dir", folder, "-graph_tmp_dir", cache, "-pooling_strategy", "CLS_POOLED"),
            ServerProcess.StartAsync("-cpu", "-graph_tmp_dir", cache, "-pooling_strategy", "CLS_POOLED"));
        try
        {
            for (var pair = 0; pair < 4; pair += 2)
            {
                using var built = new BertClient("127.0.0.1", servers[pair].Port, servers[pair].PortOut, TimeSpan.FromSeconds(60));
                using var onnx = new BertClient("127.0.0.1", servers[pair + 1].Port, servers[pair + 1].PortOut, TimeSpan.FromSeconds(60));
                var a = built.Encode(_sentences[..8]);
                var b = onnx.Encode(_sentences[..8]);
                Assert.Equal(b.Dimension, a.Dimension);
                for (var i = 0; i < 8; i++)
                    Assert.True(Similarity.Cosine(b.Row(i), a.Row(i)) >= 0.99999f, $"server pair {pair}, sentence {i}");
            }
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
        }
    }

    /// <summary>
    /// The issue's round trip: the built-in model's weights as a safetensors folder (with and without the
    /// <c>bert.</c> prefix) and as Google's TensorFlow checkpoint folder, each served at layers -1 and -2, against the
    /// ONNX export at the same layer: max abs diff ≤ 1e-4 over the corpus's first 200 sentences.
    /// </summary>
    [Fact]
    public async Task Safetensors_and_tensorflow_folders_of_the_real_weights_match_the_onnx_model_at_layers_1_and_2()
    {
        var sentences = File.ReadLines(RepoPaths.TestData("sentences-4000.txt")).Take(200).ToArray();
        var folders = new[]
        {
            Folder("hf", f => SafetensorsWriter.Write(Path.Combine(f, "model.safetensors"), Weights.Value)),
            Folder("hf-prefixed", f => SafetensorsWriter.Write(Path.Combine(f, "model.safetensors"), Weights.Value.ToDictionary(w => "bert." + w.Key, w => w.Value))),
            Folder("google", f =>
            {
                // Google's layout: bert_model.ckpt.{index,data-*}, bert_config.json, vocab.txt; TF names, kernels [in, out].
                TfCheckpointWriter.Write(Path.Combine(f, "bert_model.ckpt"), Weights.Value.ToDictionary(w => GoogleName(w.Key), w => IsKernel(w.Key) ? w.Value.Transposed() : w.Value));
                File.Move(Path.Combine(f, "config.json"), Path.Combine(f, "bert_config.json"));
            }),
        };
        var cache = Path.Combine(_dir.FullName, "cache");
        foreach (var layer in new[] { "-1", "-2" })
        {
            var servers = await Task.WhenAll(new[] { (string?)null }.Concat(folders).Select(folder => ServerProcess.StartAsync(
                folder is null ? ["-cpu", "-graph_tmp_dir", cache, "-pooling_layer", layer] : ["-cpu", "-graph_tmp_dir", cache, "-pooling_layer", layer, "-model_dir", folder])));
            try
            {
                EmbeddingMatrix Encode(ServerProcess server)
                {
                    using var client = new BertClient("127.0.0.1", server.Port, server.PortOut, TimeSpan.FromSeconds(120));
                    return client.Encode(sentences);
                }
                var expected = Encode(servers[0]);
                foreach (var (server, folder) in servers.Skip(1).Zip(folders))
                {
                    var actual = Encode(server);
                    var worst = Enumerable.Range(0, sentences.Length).Max(i => MaxAbsDiff(expected.Row(i), actual.Row(i)));
                    Assert.True(worst <= 1e-4f, $"{Path.GetFileName(folder)} at layer {layer}: max abs diff {worst}");
                }
            }
            finally
            {
                foreach (var server in servers) server.Dispose();
            }
        }
        Assert.Equal(3, Directory.GetFiles(cache, "*-built.onnx").Length); // built once per weights file, reused at the second layer
    }

    static float MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var worst = 0f;
        for (var i = 0; i < a.Length; i++)
            worst = MathF.Max(worst, MathF.Abs(a[i] - b[i]));
        return worst;
    }

    [Fact]
    public async Task A_fine_tuned_checkpoint_is_served_with_tuned_model_dir_and_ckpt_name()
    {
        // bas's fine-tuning flow: vocabulary and bert_config.json from -model_dir, model.ckpt-N from -tuned_model_dir.
        var folder = Folder("base", f => File.Move(Path.Combine(f, "config.json"), Path.Combine(f, "bert_config.json")));
        var tuned = Directory.CreateDirectory(Path.Combine(_dir.FullName, "tuned")).FullName;
        TfCheckpointWriter.Write(Path.Combine(tuned, "model.ckpt-1000"), Weights.Value.ToDictionary(w => GoogleName(w.Key), w => IsKernel(w.Key) ? w.Value.Transposed() : w.Value));
        var cache = Path.Combine(_dir.FullName, "cache");
        var servers = await Task.WhenAll(
            ServerProcess.StartAsync("-cpu", "-graph_tmp_dir", cache, "-model_dir", folder, "-tuned_model_dir", tuned, "-ckpt_name", "model.ckpt-1000"),
            ServerProcess.StartAsync("-cpu"));
        try
        {
            using var built = new BertClient("127.0.0.1", servers[0].Port, servers[0].PortOut, TimeSpan.FromSeconds(60));
            using var onnx = new BertClient("127.0.0.1", servers[1].Port, servers[1].PortOut, TimeSpan.FromSeconds(60));
            var a = built.Encode(_sentences);
            var b = onnx.Encode(_sentences);
            for (var i = 0; i < _sentences.Length; i++)
                Numerics.AssertClose(b.Row(i), a.Row(i), 1e-4f);
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
        }
    }

    static bool IsKernel(string name) => name.EndsWith(".weight", StringComparison.Ordinal) && !name.Contains("LayerNorm", StringComparison.Ordinal) && !name.StartsWith("embeddings.", StringComparison.Ordinal);

    static string GoogleName(string name)
    {
        var path = "bert/" + System.Text.RegularExpressions.Regex.Replace(name, @"layer\.(\d+)", "layer_$1").Replace('.', '/');
        if (path.Contains("LayerNorm", StringComparison.Ordinal))
            return path.Replace("/weight", "/gamma", StringComparison.Ordinal).Replace("/bias", "/beta", StringComparison.Ordinal);
        if (path.StartsWith("bert/embeddings/", StringComparison.Ordinal))
            return path[..^"/weight".Length];
        return path.EndsWith("/weight", StringComparison.Ordinal) ? path[..^"/weight".Length] + "/kernel" : path;
    }

    public static TheoryData<string, string> Broken => new()
    {
        { "missing", "lacks 1 tensor(s) a 6-layer BERT encoder needs: encoder.layer.3.output.dense.weight" },
        { "shape", "tensor encoder.layer.0.intermediate.dense.bias has shape [1535]" },
        { "roberta", "RoBERTa and ALBERT weights are laid out differently" },
        { "config", "describes a 'distilbert' model" },
    };

    [Theory]
    [MemberData(nameof(Broken))]
    public async Task Unsupported_or_incomplete_weights_fail_the_start_with_one_clear_line(string what, string expected)
    {
        var folder = Folder(what, f =>
        {
            var weights = new Dictionary<string, WeightTensor>(Weights.Value);
            switch (what)
            {
                case "missing": weights.Remove("encoder.layer.3.output.dense.weight"); break;
                case "shape": weights["encoder.layer.0.intermediate.dense.bias"] = new WeightTensor([1535], new float[1535]); break;
                case "roberta": weights = weights.ToDictionary(w => "roberta." + w.Key, w => w.Value); break;
                case "config":
                    var config = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(File.ReadAllText(Path.Combine(f, "config.json")))!;
                    config["model_type"] = JsonSerializer.SerializeToElement("distilbert");
                    File.WriteAllText(Path.Combine(f, "config.json"), JsonSerializer.Serialize(config));
                    break;
            }
            SafetensorsWriter.Write(Path.Combine(f, "model.safetensors"), weights);
        });
        var (code, _, stderr) = await ServerProcess.RunToExitAsync(TimeSpan.FromSeconds(90), "-cpu",
            "-port", ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture), "-port_out", ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            "-model_dir", folder, "-graph_tmp_dir", Path.Combine(_dir.FullName, "cache"));
        Assert.Equal(1, code);
        Assert.Contains(expected, Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }
}

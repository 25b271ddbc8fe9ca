using BertServing.Client;
using BertServing.Server.Models;
using BertServing.Tests.Support;
using Google.Protobuf;
using Onnx;

namespace BertServing.Tests.Parity;

/// <summary>-pooling_layer: any layer, several concatenated, graphs edited and cached.</summary>
public sealed class PoolingLayerTests : IDisposable
{
    static readonly string[] Sentences = ["The quick brown fox jumps over the lazy dog.", "Short one."];
    readonly string _dir = Directory.CreateTempSubdirectory("bertserving-layers-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Last_layer_is_the_default_a_lower_layer_differs_and_layers_concatenate()
    {
        var servers = await FlaggedServer.StartAllAsync([], ["-pooling_layer", "-1"], ["-pooling_layer", "-2"], ["-pooling_layer", "-2", "-1"], ["-pooling_layer", "5"]);
        try
        {
            var r = servers.Select(s => s.Client.Encode(Sentences)).ToArray();
            var (byDefault, last, second, both, five) = (r[0], r[1], r[2], r[3], r[4]);
            Assert.Equal(byDefault.Values.ToArray(), last.Values.ToArray());
            Assert.Equal(last.Values.ToArray(), five.Values.ToArray()); // 5 is -1 on a 6-layer model, via the edited graph
            Assert.True(Similarity.Cosine(last[0], second[0]) < 0.99f);
            Assert.Equal([2, 768], both.Shape);
            for (var i = 0; i < Sentences.Length; i++)
            {
                // Concatenating layers per token, then mean-pooling, is each layer's mean side by side.
                Numerics.AssertClose(second[i], both[i][..384], 1e-6f);
                Numerics.AssertClose(last[i], both[i][384..], 1e-6f);
            }
            Assert.Contains("Edited graph for -pooling_layer [-2]", servers[2].Process.Stdout, StringComparison.Ordinal);
            Assert.DoesNotContain("Edited graph", servers[1].Process.Stdout, StringComparison.Ordinal); // -1 needs no edit
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
        }
    }

    [Fact]
    public async Task Edited_graphs_are_cached_under_graph_tmp_dir_and_reused()
    {
        var cache = Path.Combine(_dir, "cache");
        var first = await ServerProcess.StartAsync("-cpu", "-graph_tmp_dir", cache, "-pooling_layer", "-3");
        first.Stop(TimeSpan.FromSeconds(20));
        first.Dispose();
        var file = Assert.Single(Directory.GetFiles(cache, "*.onnx"));
        Assert.EndsWith("-layers-3.onnx", file, StringComparison.Ordinal);
        Assert.Contains("built and cached", first.Stdout, StringComparison.Ordinal);

        using var second = await ServerProcess.StartAsync("-cpu", "-graph_tmp_dir", cache, "-pooling_layer", "-3");
        Assert.Contains("loaded from cache", second.Stdout, StringComparison.Ordinal);
        // A cached graph still checks the layer range: -3 resolved against the recorded 6 layers.
        Assert.Contains("of layer(s) [-3]", second.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_graph_whose_layers_cannot_be_found_fails_clearly_for_any_layer_but_the_last()
    {
        // The built-in model with its LayerNorm initializers renamed: nothing marks the layer boundaries any more.
        var model = ModelProto.Parser.ParseFrom(BertServing.Server.Models.BuiltInModelSpec.Create().ReadOnnx());
        var renames = model.Graph.Initializer.Where(i => i.Name.Contains("LayerNorm", StringComparison.Ordinal)).ToDictionary(i => i.Name, i => "w" + i.Name.GetHashCode(StringComparison.Ordinal));
        foreach (var initializer in model.Graph.Initializer)
            if (renames.TryGetValue(initializer.Name, out var name)) initializer.Name = name;
        foreach (var node in model.Graph.Node)
            for (var k = 0; k < node.Input.Count; k++)
                if (renames.TryGetValue(node.Input[k], out var name)) node.Input[k] = name;
        File.WriteAllBytes(Path.Combine(_dir, "model.onnx"), model.ToByteArray());
        ModelExporter.ExportBuiltIn(Path.Combine(_dir, "exported"));
        File.Copy(Path.Combine(_dir, "exported", "vocab.txt"), Path.Combine(_dir, "vocab.txt"));

        var (code, _, stderr) = await ServerProcess.RunToExitAsync(TimeSpan.FromSeconds(90),
            "-cpu", "-port", ServerProcess.FreePort().ToString(), "-port_out", ServerProcess.FreePort().ToString(), "-model_dir", _dir, "-pooling_layer", "-2", "-graph_tmp_dir", Path.Combine(_dir, "cache"));
        Assert.Equal(1, code);
        Assert.Contains("Cannot find the encoder layers", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);

        // Its own output still serves.
        using var server = await ServerProcess.StartAsync("-cpu", "-model_dir", _dir, "-pooling_layer", "-1");
        using var client = new BertClient("127.0.0.1", server.Port, server.PortOut, TimeSpan.FromSeconds(60));
        Assert.Equal(384, client.Encode(["the last layer still serves"]).Dimension);
    }

    [Fact]
    public async Task Cls_pooled_on_a_graph_without_a_pooler_output_fails_clearly()
    {
        var graph = EncoderGraph.Parse(BertServing.Server.Models.BuiltInModelSpec.Create().ReadOnnx());
        File.WriteAllBytes(Path.Combine(_dir, "model.onnx"), graph.Expose([5], zeroPositions: false)); // outputs layer 5 only
        ModelExporter.ExportBuiltIn(Path.Combine(_dir, "exported"));
        File.Copy(Path.Combine(_dir, "exported", "vocab.txt"), Path.Combine(_dir, "vocab.txt"));

        var (code, _, stderr) = await ServerProcess.RunToExitAsync(TimeSpan.FromSeconds(90),
            "-cpu", "-port", ServerProcess.FreePort().ToString(), "-port_out", ServerProcess.FreePort().ToString(), "-model_dir", _dir, "-pooling_strategy", "CLS_POOLED");
        Assert.Equal(1, code);
        Assert.Contains("CLS_POOLED needs the model's pooler output", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_position_embeddings_changes_the_embeddings()
    {
        var servers = await FlaggedServer.StartAllAsync([], ["-no_position_embeddings"]);
        try
        {
            var plain = servers[0].Client.Encode(Sentences);
            var without = servers[1].Client.Encode(Sentences);
            Assert.True(Similarity.Cosine(plain[0], without[0]) < 0.999f);
            // Without positions, word order no longer matters (attention is permutation-equivariant).
            var shuffled = servers[1].Client.Encode(["dog lazy the over jumps fox brown quick the ."]);
            var ordered = servers[1].Client.Encode(["the quick brown fox jumps over the lazy dog ."]);
            Assert.True(Similarity.Cosine(shuffled[0], ordered[0]) > 0.9999f);
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
        }
    }
}

using BertServing.Tests.Support;

namespace BertServing.Tests.Parity;

/// <summary>Every bert-as-service flag is accepted with its spelling and printed at start; bad values stop the server with one line.</summary>
public sealed class FlagTests
{
    static async Task AssertRejectedAsync(int exitCode, string expected, params string[] args)
    {
        var (code, _, stderr) = await ServerProcess.RunToExitAsync(TimeSpan.FromSeconds(90),
            ["-port", ServerProcess.FreePort().ToString(), "-port_out", ServerProcess.FreePort().ToString(), "-cpu", .. args]);
        Assert.Equal(exitCode, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("bertserving-start: error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, "-no_such_flag", "-no_such_flag")]
    [InlineData(2, "must be > 3", "-max_seq_len", "2")]
    [InlineData(1, "exceeds the model's 512 positions", "-max_seq_len", "100000")]
    [InlineData(2, "-pooling_strategy must be one of", "-pooling_strategy", "FOO")]
    [InlineData(1, "-pooling_layer 99 is out of range: the model has 6 encoder layers", "-pooling_layer", "99")]
    [InlineData(1, "-pooling_layer -7 is out of range", "-pooling_layer", "-1", "-7")]
    [InlineData(2, "-num_worker must be at least 1", "-num_worker", "0")]
    [InlineData(2, "-gpu_memory_fraction must be in (0, 1]", "-gpu_memory_fraction", "1.5")]
    [InlineData(2, "-device_map ids must be >= 0", "-device_map", "0", "-1")]
    public Task Bad_values_exit_with_one_clear_line(int exitCode, string expected, params string[] args) =>
        AssertRejectedAsync(exitCode, expected, args);

    [Fact]
    public Task A_ckpt_name_that_is_not_an_onnx_graph_is_refused() =>
        AssertRejectedAsync(1, "-ckpt_name BertServing.sln: none of BertServing.sln, BertServing.sln.onnx, BertServing.sln.safetensors", "-model_dir", RepoPaths.Root, "-ckpt_name", "BertServing.sln");

    [Theory]
    [InlineData("custom.onnx")]
    [InlineData("custom")]
    public void A_ckpt_name_picks_its_graph_with_or_without_the_extension(string ckptName)
    {
        var dir = Directory.CreateTempSubdirectory("bertserving-ckpt-name-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "vocab.txt"), "[PAD]");
            File.WriteAllBytes(Path.Combine(dir.FullName, "model.onnx"), [1]);
            File.WriteAllBytes(Path.Combine(dir.FullName, "custom.onnx"), [2]);
            var spec = BertServing.Server.Models.ModelFolder.Open(dir.FullName, ckptName: ckptName);
            Assert.Equal([2], spec.ReadOnnx()); // custom.onnx, not the default model.onnx
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task An_http_port_equal_to_a_zeromq_port_is_refused()
    {
        var port = ServerProcess.FreePort();
        var (code, _, stderr) = await ServerProcess.RunToExitAsync(TimeSpan.FromSeconds(60), "-port", port.ToString(), "-port_out", ServerProcess.FreePort().ToString(), "-http_port", port.ToString());
        Assert.Equal(2, code);
        Assert.Contains($"-http_port {port} collides", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_flag_is_accepted_in_bas_spelling_and_printed_and_tf_only_flags_are_called_out()
    {
        using var server = await FlaggedServer.StartAsync(
            "-max_seq_len=40", "--num_worker", "2", "-pooling_layer", "-1", "-pooling_strategy", "REDUCE_MEAN",
            "-show_tokens_to_client", "-priority_batch_size", "8", "-max_batch_size=128",
            "-xla", "-fp16", "-gpu_memory_fraction", "0.3", "-device_map", "0", "1", "-prefetch_size", "4",
            "-http_max_connect", "20", "-cors", "https://example.org", "-ckpt_name", "bert_model.ckpt", "-config_name", "bert_config.json", "-verbose");
        var stdout = server.Process.Stdout;
        foreach (var line in new[]
        {
            "         max_seq_len = 40", "          num_worker = 2", "       pooling_layer = [-1]", "    pooling_strategy = REDUCE_MEAN",
            "show_tokens_to_client = True", " priority_batch_size = 8", "      max_batch_size = 128", "                 xla = True",
            "                fp16 = True", " gpu_memory_fraction = 0.3", "          device_map = [0, 1]", "       prefetch_size = 4",
            "    http_max_connect = 20", "                cors = https://example.org", "             verbose = True",
        })
            Assert.Contains(line, stdout, StringComparison.Ordinal);
        Assert.Contains("-xla is TensorFlow's JIT and has no ONNX Runtime equivalent", stdout, StringComparison.Ordinal);
        Assert.Contains("-fp16: float16 inference is not implemented yet; running float32 on cpu", stdout, StringComparison.Ordinal);
        Assert.Contains("2 worker(s)", stdout, StringComparison.Ordinal);
        Assert.Equal(2, server.Client.Encode(["still serves", "fine"]).Count);
    }

    [Fact]
    public async Task Port_aliases_work()
    {
        var (port, portOut) = (ServerProcess.FreePort(), ServerProcess.FreePort());
        var (code, stdout, _) = await ServerProcess.RunToExitAsync(TimeSpan.FromSeconds(60), "-help");
        Assert.Equal(0, code);
        foreach (var flag in new[] { "-tuned_model_dir", "-ckpt_name", "-config_name", "-graph_tmp_dir", "-cased_tokenization", "-pooling_layer",
            "-mask_cls_sep", "-no_special_token", "-show_tokens_to_client", "-no_position_embeddings", "-fixed_embed_length", "-port_in", "-port_data",
            "-port_result", "-http_port", "-http_max_connect", "-cors", "-priority_batch_size", "-xla", "-fp16", "-gpu_memory_fraction", "-device_map", "-prefetch_size" })
            Assert.Contains(flag, stdout, StringComparison.Ordinal);
        using var server = await ServerProcess.StartExactAsync(port, portOut, "-cpu", "-port_in", port.ToString(), "-port_result", portOut.ToString());
        using var client = new BertServing.Client.BertClient("127.0.0.1", port, portOut, TimeSpan.FromSeconds(60));
        Assert.Equal(1, client.Encode(["aliases"]).Count);
    }
}

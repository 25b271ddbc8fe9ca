using BertServing.Server.Models;
using BertServing.Tests.Support;

namespace BertServing.Tests.Integration;

/// <summary>Start-up failures end the process with one clear line and a non-zero code; model folders serve like the built-in model.</summary>
[Collection(ServerCollection.Name)]
public sealed class StartupTests(ServerFixture fixture) : IDisposable
{
    static readonly TimeSpan ExitTimeout = TimeSpan.FromSeconds(90);
    readonly string _dir = Directory.CreateTempSubdirectory("bertserving-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static async Task AssertFailsAsync(int exitCode, string expected, params string[] args)
    {
        var (code, _, stderr) = await ServerProcess.RunToExitAsync(ExitTimeout, ["-port", ServerProcess.FreePort().ToString(), "-port_out", ServerProcess.FreePort().ToString(), "-cpu", .. args]);
        Assert.Equal(exitCode, code);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines); // one line, no stack trace
        Assert.StartsWith("bertserving-start: error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Fact]
    public Task Missing_model_dir() => AssertFailsAsync(2, "does not exist", "-model_dir", Path.Combine(_dir, "nowhere"));

    [Fact]
    public Task Model_dir_without_model() => AssertFailsAsync(1, "looked for model.onnx, onnx/model.onnx, model.safetensors and bert_model.ckpt.index", "-model_dir", _dir);

    [Fact]
    public Task Model_dir_without_vocab()
    {
        File.WriteAllBytes(Path.Combine(_dir, "model.onnx"), [1, 2, 3]);
        return AssertFailsAsync(1, "No vocab.txt", "-model_dir", _dir);
    }

    [Fact]
    public Task Corrupt_model()
    {
        File.WriteAllBytes(Path.Combine(_dir, "model.onnx"), "this is not an onnx graph"u8.ToArray());
        File.WriteAllLines(Path.Combine(_dir, "vocab.txt"), ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "hello"]);
        return AssertFailsAsync(1, "could not be loaded", "-model_dir", _dir);
    }

    [Fact]
    public Task Vocab_without_special_tokens()
    {
        File.WriteAllBytes(Path.Combine(_dir, "model.onnx"), [1]);
        File.WriteAllLines(Path.Combine(_dir, "vocab.txt"), ["hello", "world"]);
        return AssertFailsAsync(1, "[CLS]", "-model_dir", _dir);
    }

    [Fact]
    public Task Max_seq_len_beyond_the_models_positions() => AssertFailsAsync(1, "exceeds the model's 512 positions", "-max_seq_len", "600");

    [Theory]
    [InlineData("3", "must be > 3")]
    [InlineData("lots", "integer > 3 or NONE")]
    public Task Invalid_max_seq_len(string value, string expected) => AssertFailsAsync(2, expected, "-max_seq_len", value);

    [Fact]
    public Task Unknown_flag() => AssertFailsAsync(2, "-no_such_flag", "-no_such_flag");

    [Fact]
    public async Task Port_in_use()
    {
        var (code, stdout, stderr) = await ServerProcess.RunToExitAsync(ExitTimeout, "-port", fixture.Server.Port.ToString(), "-port_out", ServerProcess.FreePort().ToString(), "-cpu");
        Assert.Equal(1, code);
        Assert.Contains($"Cannot bind tcp://*:{fixture.Server.Port} (-port): the port is already in use", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", stdout, StringComparison.Ordinal); // no stack trace in the log either
        Assert.DoesNotContain("Hosting failed", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exported_built_in_model_serves_identical_embeddings_from_a_folder()
    {
        var (code, stdout, _) = await ServerProcess.RunToExitAsync(ExitTimeout, "-export_model", _dir);
        Assert.Equal(0, code);
        Assert.Contains("Wrote the built-in model", stdout, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_dir, "model.onnx")));
        Assert.Equal(30522, File.ReadAllLines(Path.Combine(_dir, "vocab.txt")).Length);
        var spec = ModelFolder.Open(_dir);
        Assert.Equal((true, 256, BertServing.Server.Options.PoolingStrategy.ReduceMean), (spec.DoLowerCase, spec.MaxSeqLength, spec.Pooling));

        using var folderServer = await ServerProcess.StartAsync("-model_dir", _dir, "-cpu");
        using var fromFolder = new BertServing.Client.BertClient("127.0.0.1", folderServer.Port, folderServer.PortOut, TimeSpan.FromSeconds(60));
        using var builtIn = fixture.NewClient();
        string[] sentences = ["Honestly, the stadium was famous.", "Why does Bob explain the train every month?"];
        var a = fromFolder.Encode(sentences);
        var b = builtIn.Encode(sentences);
        Assert.Equal(b.Values.ToArray(), a.Values.ToArray());
        Assert.Equal(0, folderServer.Stop(TimeSpan.FromSeconds(20)));
        Assert.DoesNotContain("CUDA", folderServer.Stdout, StringComparison.Ordinal); // -cpu skips the probe
    }

    [Fact]
    public void Without_cuda_the_server_falls_back_to_cpu_with_one_warning_line()
    {
        var stdout = fixture.Server.Stdout;
        var warning = Assert.Single(stdout.Split('\n'), l => l.Contains("CUDA", StringComparison.Ordinal));
        Assert.Contains("WRN CUDA is not available", warning, StringComparison.Ordinal);
        Assert.Contains("falling back to CPU", warning, StringComparison.Ordinal);
        Assert.Contains("Model all-MiniLM-L6-v2 on cpu", stdout, StringComparison.Ordinal);
        Assert.Equal("", fixture.Server.Stderr); // ORT's own native error log stays quiet
        Assert.True(stdout.IndexOf("on cpu", StringComparison.Ordinal) < stdout.IndexOf("ready to serve", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Stopping_with_sigterm_exits_cleanly()
    {
        using var server = await ServerProcess.StartAsync();
        Assert.Equal(0, server.Stop(TimeSpan.FromSeconds(20)));
        Assert.Contains("Stopped", server.Stdout, StringComparison.Ordinal);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Deploy;

/// <summary>
/// The container's entrypoint script and HEALTHCHECK, run here as the image runs them (no Docker engine on these
/// machines): the script starts the real server from the build output, and the Dockerfile's own health command
/// reports it healthy once it is ready.
/// </summary>
public sealed partial class EntrypointTests
{
    static readonly string Script = Path.Combine(RepoPaths.Root, "docker", "entrypoint.sh");

    static ProcessStartInfo Bash(params string[] args)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        return info;
    }

    [Theory]
    [InlineData("", new string[0], "-num_worker 1 -http_port 8125")]
    [InlineData("model", new[] { "-num_worker", "2", "-max_seq_len", "64" }, "-http_port 8125 -model_dir {model} -num_worker 2 -max_seq_len 64")]
    [InlineData("model", new[] { "-model_dir", "/elsewhere" }, "-num_worker 1 -http_port 8125 -model_dir /elsewhere")]
    public async Task The_entrypoint_adds_defaults_only_for_flags_not_given(string model, string[] flags, string expected)
    {
        var folder = Directory.CreateTempSubdirectory("bertserving-entry-");
        try
        {
            if (model.Length > 0)
                File.WriteAllText(Path.Combine(folder.FullName, "vocab.txt"), "x");
            var (_, output, _) = await DotnetApp.RunProgramAsync("bash", folder.FullName, TimeSpan.FromSeconds(60),
                new Dictionary<string, string> { ["BERTSERVING_DRY_RUN"] = "1", ["MODEL_DIR"] = folder.FullName }, [Script, .. flags]);
            Assert.Equal($"dotnet /app/bertserving-start.dll {expected.Replace("{model}", folder.FullName, StringComparison.Ordinal)}", output.Trim());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_entrypoint_starts_the_server_and_the_dockerfile_health_command_reports_it_healthy()
    {
        var (port, portOut, http) = (ServerProcess.FreePort(), ServerProcess.FreePort(), ServerProcess.FreePort());
        var info = Bash(Script, "-cpu", "-port", port.ToString(CultureInfo.InvariantCulture), "-port_out", portOut.ToString(CultureInfo.InvariantCulture));
        info.Environment["BERTSERVING_APP"] = ServerProcess.ServerDirectory;
        info.Environment["HTTP_PORT"] = http.ToString(CultureInfo.InvariantCulture);
        info.Environment["MODEL_DIR"] = "/nonexistent";
        using var server = Process.Start(info)!;
        try
        {
            var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            server.OutputDataReceived += (_, e) => { if (e.Data?.Contains("ready to serve", StringComparison.Ordinal) == true) ready.TrySetResult(); };
            server.BeginOutputReadLine();
            server.BeginErrorReadLine();
            await ready.Task.WaitAsync(TimeSpan.FromSeconds(120));

            // The Dockerfile's HEALTHCHECK command, taken from the Dockerfile itself.
            var dockerfile = File.ReadAllText(Path.Combine(RepoPaths.Root, "docker", "Dockerfile"));
            var command = JsonSerializer.Deserialize<string[]>(HealthCommand().Match(dockerfile).Groups[1].Value)!;
            Assert.Equal("bash", command[0]);
            async Task<int> HealthAsync(int httpPort)
            {
                var (code, _, _) = await DotnetApp.RunProgramAsync("bash", RepoPaths.Root, TimeSpan.FromSeconds(60),
                    new Dictionary<string, string> { ["HTTP_PORT"] = httpPort.ToString(CultureInfo.InvariantCulture) }, command[1..]);
                return code;
            }
            Assert.Equal(0, await HealthAsync(http));
            Assert.NotEqual(0, await HealthAsync(ServerProcess.FreePort())); // nothing listening: unhealthy
            using var client = new BertClient("127.0.0.1", port, portOut, TimeSpan.FromSeconds(30));
            Assert.Equal(384, client.Encode(["from inside the container's entrypoint"]).Dimension);
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    [GeneratedRegex(@"HEALTHCHECK[^\n]*\\\n\s*CMD (\[.*\])")]
    private static partial Regex HealthCommand();
}

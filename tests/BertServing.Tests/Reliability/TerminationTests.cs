using System.Globalization;
using BertServing.Tests.Support;

namespace BertServing.Tests.Reliability;

/// <summary>TERMINATION is refused unless enabled, and with a token unless it carries it.</summary>
public sealed class TerminationTests
{
    static readonly string Terminate = DotnetApp.Dll("src", "BertServing.Terminate", "bertserving-terminate");

    static Task<(int Code, string Stdout, string Stderr)> RunTerminateAsync(ServerProcess server, params string[] extra) =>
        DotnetApp.RunAsync(Terminate, ["-ip", "127.0.0.1", "-port", server.Port.ToString(CultureInfo.InvariantCulture), "-port_out", server.PortOut.ToString(CultureInfo.InvariantCulture), .. extra]);

    [Fact]
    public async Task By_default_termination_is_refused_and_the_server_keeps_serving()
    {
        using var server = await ServerProcess.StartAsync("-cpu");
        var (code, _, stderr) = await RunTerminateAsync(server);
        Assert.Equal(1, code);
        Assert.Contains("the server refused: TERMINATION is disabled", stderr, StringComparison.Ordinal);
        Assert.Contains("-enable_termination", stderr, StringComparison.Ordinal);
        using var client = new BertServing.Client.BertClient("127.0.0.1", server.Port, server.PortOut, TimeSpan.FromSeconds(30));
        Assert.Equal(384, client.Encode(["still here"]).Dimension);
        Assert.False(server.HasExited);
    }

    [Fact]
    public async Task With_a_token_only_the_right_token_stops_the_server()
    {
        using var server = await ServerProcess.StartAsync("-cpu", "-enable_termination", "-termination_token", "s3cret");
        foreach (var attempt in new[] { Array.Empty<string>(), ["-token", "wrong"] })
        {
            var (code, _, stderr) = await RunTerminateAsync(server, attempt);
            Assert.Equal(1, code);
            Assert.Contains("needs this server's token", stderr, StringComparison.Ordinal);
            Assert.False(server.HasExited);
        }
        var (ok, stdout, _) = await RunTerminateAsync(server, "-token", "s3cret");
        Assert.Equal(0, ok);
        Assert.Contains("shutdown signal sent", stdout, StringComparison.Ordinal);
        Assert.Equal(0, await server.ExitCodeAsync(TimeSpan.FromSeconds(30))); // stopped by TERMINATION itself, not by a signal
        Assert.Contains("Refused TERMINATION", server.Stdout, StringComparison.Ordinal);
        Assert.Contains("TERMINATION received", server.Stdout, StringComparison.Ordinal);
    }
}

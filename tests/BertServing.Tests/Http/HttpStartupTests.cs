using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using BertServing.Server.Http;
using BertServing.Server.Options;
using BertServing.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertServing.Tests.Http;

/// <summary>The HTTP front before the model is attached (as while a model loads), over real HTTP in this process.</summary>
public sealed class HttpStartupTests
{
    [Fact]
    public async Task Before_the_model_is_ready_health_answers_and_ready_and_encode_routes_get_503()
    {
        var port = ServerProcess.FreePort();
        await using var front = HttpFrontend.Start(new ServerOptions { HttpPort = port }, NullLogger.Instance);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/") };

        using (var health = await http.GetAsync("health"))
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using (var ready = await http.GetAsync("ready"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("loading", JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetString());
        }
        using var content = new StringContent("{\"input\":\"hi\",\"model\":\"m\"}", Encoding.UTF8, "application/json");
        using var embed = await http.PostAsync("v1/embeddings", content);
        var error = JsonDocument.Parse(await embed.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, embed.StatusCode);
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        Assert.Equal("model_loading", error.GetProperty("code").GetString());
        foreach (var route in new[] { "status/server", "status/live", "v1/models" })
        {
            using var status = await http.GetAsync(route); // they need the model too: 503 with a body, never a 500
            Assert.Equal(HttpStatusCode.ServiceUnavailable, status.StatusCode);
            Assert.Contains("model_loading", await status.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await front.StopAsync();
    }

    [Fact]
    public async Task A_taken_http_port_fails_the_start_with_one_clear_line()
    {
        var port = ServerProcess.FreePort();
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Any, port);
        listener.Start();
        var (code, stdout, stderr) = await ServerProcess.RunToExitAsync(TimeSpan.FromSeconds(60), "-cpu", "-port", ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture),
            "-port_out", ServerProcess.FreePort().ToString(CultureInfo.InvariantCulture), "-http_port", port.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(1, code);
        Assert.Contains($"bertserving-start: error: Cannot bind the HTTP port {port}", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stdout, StringComparison.Ordinal); // one line, no stack trace in the log
    }
}

using System.Globalization;
using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Http;

/// <summary>A real server with its HTTP front on a free loopback port, plus an HTTP client and a ZeroMQ client for it.</summary>
public class HttpServerFixture : IAsyncLifetime
{
    ServerProcess? _server;

    /// <summary>Flags beyond the ports.</summary>
    protected virtual string[] ExtraArgs => ["-http_max_connect", "2"];

    public ServerProcess Server => _server ?? throw new InvalidOperationException("Not started.");

    public int HttpPort { get; } = ServerProcess.FreePort();

    public Uri BaseAddress => new($"http://127.0.0.1:{HttpPort}/");

    public HttpClient Http { get; private set; } = null!;

    public BertClient NewClient() => new("127.0.0.1", Server.Port, Server.PortOut, TimeSpan.FromSeconds(60));

    public async Task InitializeAsync()
    {
        _server = await ServerProcess.StartAsync(["-cpu", "-http_port", HttpPort.ToString(CultureInfo.InvariantCulture), .. ExtraArgs]);
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public Task DisposeAsync()
    {
        Http?.Dispose();
        _server?.Stop(TimeSpan.FromSeconds(20));
        _server?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>The same with <c>-http_api_key</c> and small limits, for the refusal tests.</summary>
public sealed class GuardedHttpServerFixture : HttpServerFixture
{
    public const string ApiKey = "test-key-7f3a";

    protected override string[] ExtraArgs => ["-http_api_key", ApiKey, "-http_max_body", "4096", "-max_request_sentences", "20", "-cors", "https://app.example"];
}

[CollectionDefinition(Name)]
public sealed class HttpServerCollection : ICollectionFixture<HttpServerFixture>
{
    public const string Name = "HTTP server";
}

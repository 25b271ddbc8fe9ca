using BertServing.Client;

namespace BertServing.Tests.Support;

/// <summary>One real server on the built-in model, shared by the integration tests of a collection.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("Not started.");

    public BertClient NewClient(TimeSpan? timeout = null) =>
        new("127.0.0.1", Server.Port, Server.PortOut, timeout ?? TimeSpan.FromSeconds(60));

    public async Task InitializeAsync() => _server = await ServerProcess.StartAsync();

    public Task DisposeAsync()
    {
        _server?.Stop(TimeSpan.FromSeconds(20));
        _server?.Dispose();
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "built-in model server";
}

/// <summary>
/// Tests that assert on wall-clock bounds the issues ask for (a timeout raised within its limit + 20%): they run alone,
/// after the parallel collections, because a loaded 2-core machine delays any thread's wake-up by seconds.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingCollection
{
    public const string Name = "timing-sensitive, run alone";
}

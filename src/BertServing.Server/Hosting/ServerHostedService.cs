using BertServing.Server.Options;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BertServing.Server.Hosting;

/// <summary>
/// Runs <see cref="BertServer"/> inside the Generic Host. Start-up happens in <see cref="StartAsync"/> so a failure
/// stops the host before it reports started, and the host's shutdown drives an orderly stop.
/// </summary>
sealed class ServerHostedService(ServerOptions options, ILoggerFactory loggers, IHostApplicationLifetime lifetime) : IHostedService
{
    BertServer? _server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _server = BertServer.Start(options, loggers, lifetime.StopApplication);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => _server?.StopAsync() ?? Task.CompletedTask;
}

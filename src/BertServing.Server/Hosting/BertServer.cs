using System.Diagnostics;
using BertServing.Client.Protocol;
using BertServing.Server.Models;
using BertServing.Server.Options;
using BertServing.Server.Transport;
using Microsoft.Extensions.Logging;
using NetMQ;

namespace BertServing.Server.Hosting;

/// <summary>
/// The assembled server: model, tokenizer, pipeline, workers and the ZeroMQ front, started in dependency order
/// (the front binds last, so nothing is accepted before the model is warm) and stopped in reverse.
/// </summary>
public sealed class BertServer
{
    readonly EncodingEngine _engine;
    readonly ZmqFrontend _frontend;
    readonly ILogger _logger;

    BertServer(EncodingEngine engine, ZmqFrontend frontend, ILogger logger)
    {
        _engine = engine;
        _frontend = frontend;
        _logger = logger;
    }

    /// <summary>The server's public description (also the hello reply).</summary>
    public required ServerInfo Info { get; init; }

    /// <summary>Loads, warms up, binds and starts serving; throws <see cref="StartupException"/> with a user-facing message.</summary>
    /// <param name="options">The validated options.</param>
    /// <param name="loggers">Log sinks.</param>
    /// <param name="terminate">Stops the host when a client sends TERMINATION.</param>
    public static BertServer Start(ServerOptions options, ILoggerFactory loggers, Action? terminate = null)
    {
        var logger = loggers.CreateLogger("BertServing.Server");
        var clock = Stopwatch.StartNew();
        var engine = EncodingEngine.Start(options, logger);
        var info = new ServerInfo
        {
            ServerVersion = ServerVersion.Current,
            Model = engine.ModelName,
            Dimension = engine.Dimension,
            MaxSeqLen = engine.Settings.MaxSeqLen,
            PoolingStrategy = engine.Settings.Pooling.ToName(),
            DoLowerCase = engine.Settings.DoLowerCase,
            MaxSentencesPerRequest = options.MaxRequestSentences,
        };
        ZmqFrontend frontend;
        try
        {
            var context = new FrontendContext(info, ConfigReport.Create(options, engine, options.Port, options.PortOut), options.ShowTokensToClient, terminate ?? (() => { }));
            frontend = new ZmqFrontend(options.Port, options.PortOut, engine.Pipeline, context, logger);
        }
        catch (NetMQException e)
        {
            engine.StopAsync().GetAwaiter().GetResult();
            throw new StartupException($"Cannot bind tcp://*:{options.Port} and tcp://*:{options.PortOut}: {e.Message}. Is another server using -port/-port_out? Choose free ports.", e);
        }
        frontend.Start();
        logger.LogInformation("All set, ready to serve requests: tcp://*:{Port} (requests), tcp://*:{PortOut} (results); started in {Seconds:0.0} s",
            options.Port, options.PortOut, clock.Elapsed.TotalSeconds);
        return new BertServer(engine, frontend, logger) { Info = info };
    }

    /// <summary>Stops taking requests, finishes every accepted one, sends the replies, then releases the model.</summary>
    public async Task StopAsync()
    {
        _logger.LogInformation("Shutting down: finishing accepted requests");
        _frontend.StopReceiving();
        await _engine.StopAsync().ConfigureAwait(false);
        _frontend.Dispose();
        NetMQConfig.Cleanup(block: false);
        _logger.LogInformation("Stopped");
    }
}

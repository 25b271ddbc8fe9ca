using System.Diagnostics;
using BertServing.Client.Protocol;
using BertServing.Server.Http;
using BertServing.Server.Models;
using BertServing.Server.Options;
using BertServing.Server.Telemetry;
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
    readonly HttpFrontend? _http;
    readonly ILogger _logger;

    BertServer(EncodingEngine engine, ZmqFrontend frontend, HttpFrontend? http, ILogger logger)
    {
        _engine = engine;
        _frontend = frontend;
        _http = http;
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
        // HTTP binds first so health checks answer while the model loads; its encode routes wait for Attach.
        var http = options.HttpPort is null ? null : HttpFrontend.Start(options, logger);
        EncodingEngine engine;
        try
        {
            engine = EncodingEngine.Start(options, logger);
        }
        catch
        {
            http?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
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
        var status = new ServerStatus(ConfigReport.Create(options, engine, options.Port, options.PortOut),
            () => (engine.Pipeline.WaitingSentences + engine.Pipeline.QueuedSentences, engine.Pipeline.QueuedRequests));
        ZmqFrontend frontend;
        try
        {
            var context = new FrontendContext(info, status, options.ShowTokensToClient, terminate ?? (() => { }),
                new TerminationGuard(options.EnableTermination, options.TerminationToken)) { MaxMessageBytes = options.MaxMessageBytes, Curve = CurveKeys.Load(options.CurveKeyFile) };
            frontend = new ZmqFrontend(options.BindIp, options.Port, options.PortOut, engine.Pipeline, context, logger);
        }
        catch (Exception e) when (e is IOException or NetMQException or StartupException)
        {
            // A port in use or an unreadable key file: release what already started (workers, the HTTP port).
            engine.StopAsync().GetAwaiter().GetResult();
            http?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            if (e is StartupException)
                throw;
            throw new StartupException(e.Message, e);
        }
        frontend.Start();
        http?.Attach(new HttpBackend(engine.Pipeline, status, info, engine.Vocabulary, engine.Settings.Pooling == PoolingStrategy.None));
        logger.LogInformation("All set, ready to serve requests: tcp://{Ip}:{Port} (requests), port {PortOut} (results); started in {Seconds:0.0} s",
            options.BindIp, options.Port, options.PortOut, clock.Elapsed.TotalSeconds);
        return new BertServer(engine, frontend, http, logger) { Info = info };
    }

    /// <summary>Stops taking requests, finishes every accepted one, sends the replies, then releases the model.</summary>
    public async Task StopAsync()
    {
        _logger.LogInformation("Shutting down: finishing accepted requests");
        _frontend.StopReceiving();
        // Kestrel waits for the HTTP requests in flight, which need the engine: stop it before the engine.
        if (_http is not null)
            await _http.StopAsync().ConfigureAwait(false);
        await _engine.StopAsync().ConfigureAwait(false);
        _frontend.Dispose();
        if (_http is not null)
            await _http.DisposeAsync().ConfigureAwait(false);
        NetMQConfig.Cleanup(block: false);
        _logger.LogInformation("Stopped");
    }
}

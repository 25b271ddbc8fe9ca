using System.Net;
using System.Threading.RateLimiting;
using BertServing.Server.Hosting;
using BertServing.Server.Options;
using BertServing.Server.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using Serilog;

namespace BertServing.Server.Http;

/// <summary>
/// The HTTP front (<c>-http_port</c>): Kestrel in this process, in front of the same batching engine as ZeroMQ. It
/// binds before the model loads so <c>/health</c> and <c>/ready</c> answer during start-up; the encode routes answer
/// 503 until <see cref="Attach"/>. <c>-http_max_connect</c> bounds the encode requests in the engine at once (more
/// wait, then 429), <c>-cors</c> sets the allowed origins, <c>-http_api_key</c> guards the encode routes.
/// </summary>
public sealed class HttpFrontend : IAsyncDisposable
{
    const string EncodePolicy = "encode";

    readonly WebApplication _app;
    readonly EncodeService _service;

    HttpFrontend(WebApplication app, EncodeService service)
    {
        _app = app;
        _service = service;
    }

    /// <summary>Binds <c>-http_port</c> and starts serving; throws <see cref="StartupException"/> when it cannot bind.</summary>
    public static HttpFrontend Start(ServerOptions options, Microsoft.Extensions.Logging.ILogger logger)
    {
        var port = options.HttpPort ?? throw new ArgumentException("-http_port is not set.", nameof(options));
        var service = new EncodeService();
        var counters = new HttpFrontCounters(options.HttpMaxConnect);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Services.AddSerilog();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(options.BindIp == "*" ? IPAddress.Any : IPAddress.Parse(options.BindIp), port);
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.HttpMaxBody;
        });
        builder.Services.AddCors(cors => cors.AddDefaultPolicy(policy =>
        {
            if (options.Cors.Trim() == "*")
                policy.AllowAnyOrigin();
            else
                policy.WithOrigins([.. options.Cors.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)]);
            policy.AllowAnyHeader().AllowAnyMethod();
        }));
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddConcurrencyLimiter(EncodePolicy, concurrency =>
            {
                concurrency.PermitLimit = options.HttpMaxConnect;
                concurrency.QueueLimit = options.HttpMaxConnect * ServerOptions.HttpQueuePerConnect;
                concurrency.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
            limiter.OnRejected = (context, _) => new ValueTask(WriteErrorAsync(context.HttpContext,
                new HttpFailureException(429, "too_many_requests", $"More than {options.HttpMaxConnect} encode requests run and {options.HttpMaxConnect * ServerOptions.HttpQueuePerConnect} wait (-http_max_connect); retry later.")));
        });
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
            .AddMeter(ServerMetrics.MeterName)
            .AddView("bertserving.batch.size", new ExplicitBucketHistogramConfiguration { Boundaries = ServerMetrics.BatchSizeBuckets })
            .AddView("bertserving.batch.tokens", new ExplicitBucketHistogramConfiguration { Boundaries = ServerMetrics.BatchTokenBuckets })
            .AddView("bertserving.stage.duration", new ExplicitBucketHistogramConfiguration { Boundaries = ServerMetrics.DurationBuckets })
            .AddPrometheusExporter());

        var app = builder.Build();
        // Any route that needs the model (status, models list) answers 503 in its front's error shape while it
        // loads, instead of a 500 and a logged exception; the encode routes catch their own failures.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (HttpFailureException failure) when (!context.Response.HasStarted)
            {
                await WriteErrorAsync(context, failure).ConfigureAwait(false);
            }
        });
        app.UseCors();
        app.UseRateLimiter();
        // The key guards what encodes or tells about clients and the model (/status/server lists client addresses);
        // health, readiness, /status/live (the dashboard's feed), metrics and the dashboard stay public.
        var guarded = app.MapGroup("");
        if (options.HttpApiKey is { } key)
            guarded.AddEndpointFilter(new ApiKeyFilter(key, WriteErrorAsync));
        var encode = guarded.MapGroup("").RequireRateLimiting(EncodePolicy);
        BasRoutes.Map(guarded, encode, service, counters);
        OpenAiEmbeddings.Map(guarded, encode, service);
        OpsRoutes.Map(app, service);
        app.MapPrometheusScrapingEndpoint("/metrics");
        try
        {
            app.StartAsync().GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            ((IDisposable)app).Dispose();
            throw new StartupException($"Cannot bind the HTTP port {port}: {e.Message.TrimEnd('.')}. Is another server using -http_port? Choose a free port.", e);
        }
        logger.LogInformation("HTTP front on http://{Ip}:{Port}: /encode, /v1/embeddings, /status/server, /health, /ready, /metrics, dashboard at /", options.BindIp, port);
        return new HttpFrontend(app, service);
    }

    /// <summary>Makes the encode routes live once the model is warm.</summary>
    public void Attach(HttpBackend backend) => _service.Attach(backend);

    /// <summary>Stops taking connections and waits for the requests in flight (the engine must still run).</summary>
    public Task StopAsync() => _app.StopAsync();

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => _app.DisposeAsync();

    // OpenAI's routes speak OpenAI's error shape; bas's routes keep bas's.
    static Task WriteErrorAsync(HttpContext context, HttpFailureException failure) =>
        context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal)
            ? OpenAiEmbeddings.WriteErrorAsync(context, failure)
            : BasRoutes.WriteErrorAsync(context, failure);
}

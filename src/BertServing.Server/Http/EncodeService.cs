using System.Diagnostics;
using BertServing.Client.Protocol;
using BertServing.Server.Batching;
using BertServing.Server.Telemetry;

namespace BertServing.Server.Http;

/// <summary>
/// The HTTP routes' way into the batching engine: submits a job like any front and awaits its completion. Until the
/// model is warm there is no backend and every call is refused with 503, so the port can answer health checks
/// while the model loads.
/// </summary>
public sealed class EncodeService
{
    const string Front = "http";

    volatile HttpBackend? _backend;

    /// <summary>The running server's parts, or null while the model loads.</summary>
    public HttpBackend? Backend => _backend;

    /// <summary>Makes the routes live.</summary>
    public void Attach(HttpBackend backend) => _backend = backend;

    /// <summary>The backend, or a 503 when the model is still loading.</summary>
    public HttpBackend Require() => _backend ?? throw new HttpFailureException(503, "model_loading", "The model is still loading; retry when GET /ready answers 200.");

    /// <summary>Encodes raw or pre-tokenized sentences; the finished job holds the rows. Throws <see cref="HttpFailureException"/>.</summary>
    /// <param name="route">The route, for metrics.</param>
    /// <param name="client">Who asked (the remote address), for bas's per-client statistics.</param>
    /// <param name="texts">Raw sentences; exclusive with <paramref name="tokenized"/>.</param>
    /// <param name="tokenized">Pre-tokenized sentences.</param>
    /// <param name="cancellationToken">The caller hung up: the job is not computed if it has not started.</param>
    public async Task<EncodeJob> EncodeAsync(string route, string client, IReadOnlyList<string>? texts, IReadOnlyList<IReadOnlyList<string>>? tokenized, CancellationToken cancellationToken)
    {
        var backend = Require();
        var count = texts?.Count ?? tokenized!.Count;
        backend.Status.Statistics.Record(client, isData: true, count);
        var done = new TaskCompletionSource<EncodeJob>(TaskCreationOptions.RunContinuationsAsynchronously);
        var job = new EncodeJob(count, finished => done.TrySetResult(finished)) { Texts = texts, Tokenized = tokenized };
        if (!backend.Pipeline.TrySubmit(job))
        {
            var (code, why) = backend.Pipeline.Refusal;
            ServerMetrics.Request(Front, route, code.ToString());
            throw code == ErrorCode.Busy ? new HttpFailureException(429, nameof(ErrorCode.Busy), why) : new HttpFailureException(503, "server_failed", why);
        }
        // A caller who hangs up lets the job go: sentences not yet batched are dropped, not computed.
        using (cancellationToken.Register(() => job.Fail(ErrorCode.Expired, "The HTTP caller disconnected.")))
            await done.Task.ConfigureAwait(false);
        if (job.Error == ErrorCode.None)
        {
            backend.Status.Answered(Stopwatch.GetElapsedTime(job.AcceptedAt));
            ServerMetrics.Request(Front, route, "ok");
            return job;
        }
        if (job.Error == ErrorCode.Expired)
            backend.Status.Statistics.RecordExpired();
        ServerMetrics.Request(Front, route, job.Error.ToString());
        throw new HttpFailureException(StatusOf(job.Error), job.Error.ToString(), job.ErrorMessage ?? "The request failed.");
    }

    /// <summary>Counts a request refused before it reached the engine.</summary>
    public static void Refused(string route, HttpFailureException failure) => ServerMetrics.Request(Front, route, failure.Code);

    /// <summary>The HTTP status for an engine error code.</summary>
    public static int StatusOf(ErrorCode code) => code switch
    {
        ErrorCode.BadRequest => 400,
        ErrorCode.TooLarge => 413,
        ErrorCode.Busy => 429,
        ErrorCode.Expired => 408,
        ErrorCode.ShuttingDown => 503,
        _ => 500,
    };
}

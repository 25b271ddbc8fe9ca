using System.Diagnostics;

namespace BertServing.Server.Telemetry;

/// <summary>
/// What bert-as-service reports for <c>SHOW_CONFIG</c> and <c>SHOW_STATUS</c>, and its HTTP <c>/status/server</c>:
/// the configuration, plus the request statistics that every front records into; and the live figures the
/// dashboard polls.
/// </summary>
/// <param name="config">Builds the configuration part afresh (it carries the current time).</param>
/// <param name="queueDepth">Sentences waiting for a batch and requests waiting to be tokenized, now.</param>
public sealed class ServerStatus(Func<Dictionary<string, object?>> config, Func<(int Sentences, int Requests)> queueDepth)
{
    const int LatencyWindow = 256;

    readonly double[] _latencies = new double[LatencyWindow];
    readonly Lock _lock = new();
    readonly long _started = Stopwatch.GetTimestamp();
    long _answered;

    /// <summary>Requests, sentences and clients of all fronts.</summary>
    public RequestStatistics Statistics { get; } = new();

    /// <summary>The configuration, with <c>statistic</c> when <paramref name="withStatistics"/>.</summary>
    public Dictionary<string, object?> Report(bool withStatistics)
    {
        var report = config();
        if (withStatistics)
            report["statistic"] = Statistics.Snapshot();
        return report;
    }

    /// <summary>Records an encode request answered <paramref name="took"/> after it was accepted.</summary>
    public void Answered(TimeSpan took)
    {
        lock (_lock)
            _latencies[_answered++ % LatencyWindow] = took.TotalMilliseconds;
    }

    /// <summary>Counters and recent latencies for the dashboard: it derives rates from successive polls.</summary>
    public Dictionary<string, object?> Live()
    {
        double[] recent;
        long answered;
        lock (_lock)
        {
            answered = _answered;
            recent = _latencies[..(int)Math.Min(answered, LatencyWindow)];
        }
        Array.Sort(recent);
        var statistic = Statistics.Snapshot();
        var (sentences, requests) = queueDepth();
        return new Dictionary<string, object?>
        {
            ["uptime_ms"] = (long)Stopwatch.GetElapsedTime(_started).TotalMilliseconds,
            ["num_answered_request"] = answered,
            ["num_total_seq"] = statistic["num_total_seq"],
            ["num_active_client"] = statistic["num_active_client"],
            ["queue_sentences"] = sentences,
            ["queue_requests"] = requests,
            ["latency_p50_ms"] = Percentile(recent, 0.50),
            ["latency_p99_ms"] = Percentile(recent, 0.99),
        };
    }

    static double? Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? null : sorted[(int)Math.Min(sorted.Length - 1, Math.Ceiling(p * sorted.Length) - 1)];
}

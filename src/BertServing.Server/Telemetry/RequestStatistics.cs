using System.Diagnostics;

namespace BertServing.Server.Telemetry;

/// <summary>
/// bert-as-service's <c>SHOW_STATUS</c> statistics: request and sentence counts, clients (active = a data request in
/// the last 180 s), and min/max/avg of requests per client, sentences per request, the interval between the last
/// requests and its inverse, the request rate; intervals over the last 200 requests, clients capped at 500 (LRU).
/// </summary>
/// <remarks>Thread-safe: every front records into one instance, so the numbers cover ZeroMQ and HTTP alike.</remarks>
public sealed class RequestStatistics
{
    const int MaxClients = 500;
    const int Intervals = 200;
    static readonly TimeSpan ActiveWindow = TimeSpan.FromSeconds(180);

    readonly Dictionary<string, (long Requests, long LastActive, long LastUsed)> _clients = [];
    readonly Dictionary<int, long> _sizes = [];
    readonly Queue<double> _intervals = new();
    long _totalClients;
    long _dataRequests;
    long _systemRequests;
    long _sequences;
    long _lastRequest = Stopwatch.GetTimestamp();
    long _tick;
    long _expired;
    readonly Lock _lock = new();

    /// <summary>Counts a request that expired before it was computed (ours: <c>num_expired_request</c>).</summary>
    public void RecordExpired() => Interlocked.Increment(ref _expired);

    /// <summary>Counts a request from <paramref name="client"/>: a data request of <paramref name="sentences"/>, or a system one.</summary>
    public void Record(string client, bool isData, int sentences)
    {
        lock (_lock)
            RecordLocked(client, isData, sentences);
    }

    void RecordLocked(string client, bool isData, int sentences)
    {
        var now = Stopwatch.GetTimestamp();
        if (!_clients.TryGetValue(client, out var entry))
        {
            _totalClients++;
            if (_clients.Count >= MaxClients)
                _clients.Remove(_clients.MinBy(c => c.Value.LastUsed).Key);
            entry = (0, 0, 0);
        }
        entry.Requests++;
        entry.LastUsed = ++_tick;
        if (!isData)
        {
            // bas does not count system requests (mostly heartbeats) as activity.
            _systemRequests++;
            _clients[client] = entry;
            return;
        }
        entry.LastActive = now;
        _clients[client] = entry;
        _dataRequests++;
        _sequences += sentences;
        _sizes[sentences] = _sizes.GetValueOrDefault(sentences) + 1;
        if (_intervals.Count >= Intervals) _intervals.Dequeue();
        _intervals.Enqueue(Stopwatch.GetElapsedTime(_lastRequest, now).TotalSeconds);
        _lastRequest = now;
    }

    /// <summary>The statistics under bert-as-service's key names.</summary>
    public Dictionary<string, object> Snapshot()
    {
        lock (_lock)
            return SnapshotLocked();
    }

    Dictionary<string, object> SnapshotLocked()
    {
        var now = Stopwatch.GetTimestamp();
        var values = new Dictionary<string, object>
        {
            ["num_data_request"] = _dataRequests,
            ["num_total_seq"] = _sequences,
            ["num_sys_request"] = _systemRequests,
            ["num_total_request"] = _dataRequests + _systemRequests,
            ["num_total_client"] = _totalClients,
            ["num_expired_request"] = Interlocked.Read(ref _expired),
            ["num_active_client"] = _clients.Values.Count(c => c.LastActive != 0 && Stopwatch.GetElapsedTime(c.LastActive, now) < ActiveWindow),
        };
        Add(values, "request_per_client", [.. _clients.Values.Select(c => (double)c.Requests)]);
        var avgSize = _sizes.Count == 0 ? 0 : _sizes.Sum(s => (double)s.Key * s.Value) / _sizes.Values.Sum();
        // As bas computes it: min/max over the distinct sizes seen, the average weighted by how often each was seen.
        Add(values, "size_per_request", [.. _sizes.Keys.Select(k => (double)k)], avgSize);
        Add(values, "last_two_interval", [.. _intervals]);
        Add(values, "request_per_second", [.. _intervals.Where(v => v > 0).Select(v => 1 / v)]);
        return values;
    }

    static void Add(Dictionary<string, object> values, string name, double[] stat, double? average = null)
    {
        if (stat.Length == 0) return;
        double min = stat.Min(), max = stat.Max();
        values["avg_" + name] = average ?? stat.Average();
        values["min_" + name] = min;
        values["max_" + name] = max;
        values["num_min_" + name] = stat.Count(v => v == min);
        values["num_max_" + name] = stat.Count(v => v == max);
    }
}

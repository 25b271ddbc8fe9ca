namespace BertServing.Server.Http;

/// <summary>
/// The HTTP front's own view, for <c>GET /status/client</c>: bas reports there the status of the client pool its
/// proxy talks through; ours talks to the engine directly, so it reports its requests and its concurrency limit.
/// </summary>
public sealed class HttpFrontCounters(int maxConcurrency)
{
    long _requests;
    long _pending;

    /// <summary>Counts a request as pending until the returned scope is disposed.</summary>
    public Scope Begin()
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Increment(ref _pending);
        return new Scope(this);
    }

    /// <summary>The counters under bas's client-status names where they exist.</summary>
    public Dictionary<string, object?> Report() => new()
    {
        ["num_request"] = Interlocked.Read(ref _requests),
        ["num_pending_request"] = Interlocked.Read(ref _pending),
        ["max_concurrency"] = maxConcurrency,
    };

    /// <summary>Ends one pending request.</summary>
    public readonly struct Scope(HttpFrontCounters owner) : IDisposable
    {
        /// <inheritdoc/>
        public void Dispose() => Interlocked.Decrement(ref owner._pending);
    }
}

using System.Collections.Concurrent;

namespace BertServing.Client;

/// <summary>
/// bas's <c>ConcurrentBertClient</c>: a pool of <see cref="BertClient"/>s, one per concurrent call. A
/// <see cref="BertClient"/> is already thread-safe, so this is only for code ported from Python that expects the
/// pool's behaviour, including its error when more calls run at once than it has clients.
/// </summary>
public sealed class ConcurrentBertClient : IDisposable, IAsyncDisposable
{
    readonly ConcurrentBag<BertClient> _available = [];
    readonly List<BertClient> _all = [];

    /// <summary>Creates <paramref name="maxConcurrency"/> clients with <paramref name="options"/> (each its own identity).</summary>
    public ConcurrentBertClient(int maxConcurrency = 10, BertClientOptions? options = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        MaxConcurrency = maxConcurrency;
        for (var i = 0; i < maxConcurrency; i++)
        {
            var copy = options is null ? new BertClientOptions() : Clone(options);
            var client = new BertClient(copy, logger);
            _all.Add(client);
            _available.Add(client);
        }
    }

    /// <summary>Clients in the pool.</summary>
    public int MaxConcurrency { get; }

    /// <inheritdoc cref="BertClient.EncodeAsync(IReadOnlyList{string}, bool, CancellationToken)"/>
    public Task<EmbeddingMatrix> EncodeAsync(IReadOnlyList<string> texts, bool showTokens = false, CancellationToken cancellationToken = default) =>
        WithClientAsync(c => c.EncodeAsync(texts, showTokens, cancellationToken));

    /// <inheritdoc cref="BertClient.Encode(IReadOnlyList{string}, bool)"/>
    public EmbeddingMatrix Encode(IReadOnlyList<string> texts, bool showTokens = false) =>
        EncodeAsync(texts, showTokens).GetAwaiter().GetResult();

    /// <inheritdoc cref="BertClient.GetServerConfigAsync"/>
    public Task<IReadOnlyDictionary<string, System.Text.Json.JsonElement>> GetServerConfigAsync(CancellationToken cancellationToken = default) =>
        WithClientAsync(c => c.GetServerConfigAsync(cancellationToken));

    /// <inheritdoc cref="BertClient.GetServerStatusAsync"/>
    public Task<IReadOnlyDictionary<string, System.Text.Json.JsonElement>> GetServerStatusAsync(CancellationToken cancellationToken = default) =>
        WithClientAsync(c => c.GetServerStatusAsync(cancellationToken));

    async Task<T> WithClientAsync<T>(Func<BertClient, Task<T>> call)
    {
        if (!_available.TryTake(out var client))
            throw new InvalidOperationException($"Too many concurrent connections! Try to increase maxConcurrency, currently = {MaxConcurrency}.");
        try
        {
            return await call(client).ConfigureAwait(false);
        }
        finally
        {
            _available.Add(client);
        }
    }

    // Every option carries over (a hand-written copy once lost CurveServerKey), except the identity: pooled clients
    // sharing one would each receive all the others' replies.
    static BertClientOptions Clone(BertClientOptions o)
    {
        var copy = o.Copy();
        copy.Identity = null;
        return copy;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var client in _all)
            client.Dispose();
    }

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}

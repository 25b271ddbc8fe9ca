using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace BertServing.Client;

/// <summary>
/// One client over several servers, the scale-out path beyond one machine: requests go round-robin to the servers
/// that are answering; a request whose server does not answer within its timeout is sent once more, to another
/// server, and that server's answer is the one the caller gets (the late one, if it ever comes, is discarded: no
/// request is answered twice). A server that timed out is skipped for <see cref="Cooldown"/>, then tried again.
/// </summary>
/// <remarks>Thread-safe, like <see cref="BertClient"/>: one <see cref="BertClient"/> per server underneath.</remarks>
public sealed class MultiServerBertClient : IDisposable, IAsyncDisposable
{
    readonly BertClient[] _clients;
    readonly long[] _downUntil;
    readonly ILogger _logger;
    int _next = -1;

    /// <summary>Connects to every server in <paramref name="servers"/> (each with its own ports, timeout and keys).</summary>
    /// <param name="servers">At least one server.</param>
    /// <param name="logger">Where fail-overs are reported; none by default.</param>
    public MultiServerBertClient(IEnumerable<BertClientOptions> servers, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var options = servers.ToArray();
        if (options.Length == 0)
            throw new ArgumentException("Give at least one server.", nameof(servers));
        _logger = logger ?? NullLogger.Instance;
        _clients = [.. options.Select(o => new BertClient(o, logger))];
        _downUntil = new long[_clients.Length];
    }

    /// <summary>How long a server that timed out is passed over. Defaults to 30 seconds.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Requests sent to a second server because the first did not answer.</summary>
    public long Retries => Interlocked.Read(ref _retries);
    long _retries;

    /// <inheritdoc cref="BertClient.Encode(IReadOnlyList{string}, bool)"/>
    public EmbeddingMatrix Encode(IReadOnlyList<string> texts, bool showTokens = false) =>
        EncodeAsync(texts, showTokens).GetAwaiter().GetResult();

    /// <inheritdoc cref="BertClient.EncodeAsync(IReadOnlyList{string}, bool, CancellationToken)"/>
    public Task<EmbeddingMatrix> EncodeAsync(IReadOnlyList<string> texts, bool showTokens = false, CancellationToken cancellationToken = default) =>
        WithFailoverAsync(client => client.EncodeAsync(texts, showTokens, cancellationToken));

    /// <inheritdoc cref="BertClient.EncodeAsync(IReadOnlyList{IReadOnlyList{string}}, bool, bool, CancellationToken)"/>
    public Task<EmbeddingMatrix> EncodeAsync(IReadOnlyList<IReadOnlyList<string>> sentences, bool isTokenized = true, bool showTokens = false, CancellationToken cancellationToken = default) =>
        WithFailoverAsync(client => client.EncodeAsync(sentences, isTokenized, showTokens, cancellationToken));

    async Task<EmbeddingMatrix> WithFailoverAsync(Func<BertClient, Task<EmbeddingMatrix>> call)
    {
        var first = Pick(exclude: -1);
        try
        {
            return await call(_clients[first]).ConfigureAwait(false);
        }
        catch (TimeoutException e) when (_clients.Length > 1)
        {
            // Only a silent server is retried elsewhere: an error reply (bad input, too large) would be the same there.
            MarkDown(first);
            var second = Pick(exclude: first);
            Interlocked.Increment(ref _retries);
            _logger.LogWarning("Server {Server} did not answer ({Message}); sending the request to server {Other}", first, e.Message, second);
            return await call(_clients[second]).ConfigureAwait(false);
        }
    }

    /// <summary>The next server round-robin that is not cooling down (any but <paramref name="exclude"/> if all are).</summary>
    int Pick(int exclude)
    {
        var now = Stopwatch.GetTimestamp();
        var start = Interlocked.Increment(ref _next);
        for (var i = 0; i < _clients.Length; i++)
        {
            var candidate = (int)((uint)(start + i) % (uint)_clients.Length);
            if (candidate != exclude && Volatile.Read(ref _downUntil[candidate]) <= now)
                return candidate;
        }
        // Everyone is cooling down: try anyway rather than fail without asking.
        var fallback = (int)((uint)start % (uint)_clients.Length);
        return fallback == exclude ? (fallback + 1) % _clients.Length : fallback;
    }

    void MarkDown(int server) =>
        Volatile.Write(ref _downUntil[server], Stopwatch.GetTimestamp() + (long)(Cooldown.TotalSeconds * Stopwatch.Frequency));

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var client in _clients)
            client.Dispose();
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
            await client.DisposeAsync().ConfigureAwait(false);
    }
}

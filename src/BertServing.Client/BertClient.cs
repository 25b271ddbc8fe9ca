using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using BertServing.Client.Internal;
using BertServing.Client.Protocol;

namespace BertServing.Client;

/// <summary>
/// Encodes sentences on a BertServing server (PUSH to <c>port</c>, SUB on <c>portOut</c>, like bert-as-service).
/// </summary>
/// <remarks>
/// <para><b>Thread safety:</b> every member may be called from any number of threads at once; one internal I/O
/// thread owns the sockets, and concurrent requests are matched to their replies by request id. (Python's
/// BertClient is not thread-safe; this one is.)</para>
/// <para><b>Connection:</b> the constructor does not block. The first call waits until the server has answered
/// a handshake, which proves both sockets are connected and our subscription is live, so no reply is lost
/// to ZeroMQ's slow-joiner effect.</para>
/// </remarks>
public sealed partial class BertClient : IDisposable, IAsyncDisposable
{
    /// <summary>The default for <c>timeout</c>: 60 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    static readonly TimeSpan HelloInterval = TimeSpan.FromMilliseconds(100);

    readonly ClientConnection _connection;
    readonly BertClientOptions _options;
    readonly ILogger _logger;
    readonly string _endpoints;
    readonly ConcurrentDictionary<long, Task<EmbeddingMatrix>> _sent = new();
    readonly ConcurrentDictionary<long, byte> _inFlight = new();
    long _numRequest;
    int _warnedNoLimit;
    long _nextRequestId;
    Task<ServerInfo>? _handshake;
    readonly Lock _handshakeLock = new();

    /// <summary>Connects to a server.</summary>
    /// <param name="ip">Host name or address of the server. Defaults to <c>localhost</c>.</param>
    /// <param name="port">The server's request port (<c>-port</c>). Defaults to 5555.</param>
    /// <param name="portOut">The server's result port (<c>-port_out</c>). Defaults to 5556.</param>
    /// <param name="timeout">How long one call waits for its reply; <see cref="Timeout.InfiniteTimeSpan"/> waits
    /// forever. Defaults to <see cref="DefaultTimeout"/>.</param>
    /// <param name="identity">This client's identity (the SUB topic); clients sharing one all receive its
    /// replies. Defaults to a new UUID.</param>
    public BertClient(string ip = "localhost", int port = 5555, int portOut = 5556, TimeSpan? timeout = null, string? identity = null)
        : this(new BertClientOptions { Ip = ip, Port = port, PortOut = portOut, Timeout = timeout ?? DefaultTimeout, Identity = identity })
    {
    }

    /// <summary>Connects to a server with every option bert-serving-client has.</summary>
    /// <param name="options">Where the server is and what to check; see <see cref="BertClientOptions"/>.</param>
    /// <param name="logger">Where warnings (truncated sentences) and the server config go; none by default.</param>
    public BertClient(BertClientOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } problem)
            throw new ArgumentException(problem, nameof(options));
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        Timeout = options.Timeout;
        Identity = options.Identity ?? Guid.NewGuid().ToString();
        _endpoints = $"tcp://{options.Ip}:{options.Port} (requests) and tcp://{options.Ip}:{options.PortOut} (results)";
        _connection = new ClientConnection(options.Ip, options.Port, options.PortOut, Encoding.UTF8.GetBytes(Identity), options.CurveServerKey);
    }

    /// <summary>This library's version, compared with the server's when <see cref="BertClientOptions.CheckVersion"/> is set.</summary>
    public static string ClientVersion { get; } =
        typeof(BertClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>How long one call waits for its reply.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>This client's identity on the wire.</summary>
    public string Identity { get; }

    /// <summary>Encodes raw sentences into a <c>[N, D]</c> matrix.</summary>
    /// <param name="texts">Non-empty sentences; the server tokenizes them.</param>
    /// <param name="showTokens">Also return the tokens the model saw.</param>
    public EmbeddingMatrix Encode(IReadOnlyList<string> texts, bool showTokens = false) =>
        Block(cancel => EncodeAsync(texts, showTokens, cancel));

    /// <summary>Encodes sentences given as token lists.</summary>
    /// <param name="sentences">Non-empty lists of non-empty tokens.</param>
    /// <param name="isTokenized">True (bert-as-service's <c>is_tokenized</c>): each token is looked up in the
    /// vocabulary as given and unknown ones become [UNK]. False: the tokens of each sentence are joined with spaces
    /// and tokenized by the server like raw text.</param>
    /// <param name="showTokens">Also return the tokens the model saw.</param>
    public EmbeddingMatrix Encode(IReadOnlyList<IReadOnlyList<string>> sentences, bool isTokenized = true, bool showTokens = false) =>
        Block(cancel => EncodeAsync(sentences, isTokenized, showTokens, cancel));

    /// <summary>
    /// Waits for <paramref name="call"/> on the caller's own thread, with its own deadline: the async path's timeout
    /// needs a thread-pool thread to fire, and many blocked callers can starve the pool (seen: a 3 s timeout raised
    /// after 4 s). The first call also waits for the handshake, so it gets one timeout more.
    /// </summary>
    T Block<T>(Func<CancellationToken, Task<T>> call)
    {
        if (Timeout == System.Threading.Timeout.InfiniteTimeSpan)
            return call(CancellationToken.None).GetAwaiter().GetResult();
        var deadline = Timeout * (_handshake is { IsCompletedSuccessfully: true } ? 1 : 2) + TimeSpan.FromMilliseconds(50);
        using var cancel = new CancellationTokenSource();
        var task = call(cancel.Token);
        if (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(deadline))
        {
            cancel.Cancel(); // forgets the request: a late reply is dropped
            throw new TimeoutException(
                $"No response from the server within {Timeout.TotalMilliseconds:0} ms. Is the server running and done loading (it logs 'ready')? " +
                $"Are {_endpoints} the server's -port and -port_out, and reachable through firewalls or published Docker ports? Is the timeout too small for the amount of text sent?");
        }
        return task.GetAwaiter().GetResult();
    }

    /// <inheritdoc cref="Encode(IReadOnlyList{string}, bool)"/>
    public Task<EmbeddingMatrix> EncodeAsync(IReadOnlyList<string> texts, bool showTokens = false, CancellationToken cancellationToken = default)
    {
        InputValidation.CheckTexts(texts, nameof(texts));
        return SendEncodeAsync(new Request { Kind = RequestKind.Encode, Texts = texts, ShowTokens = showTokens }, cancellationToken);
    }

    /// <inheritdoc cref="Encode(IReadOnlyList{IReadOnlyList{string}}, bool, bool)"/>
    public Task<EmbeddingMatrix> EncodeAsync(IReadOnlyList<IReadOnlyList<string>> sentences, bool isTokenized = true, bool showTokens = false, CancellationToken cancellationToken = default)
    {
        InputValidation.CheckTokenized(sentences, nameof(sentences));
        var request = isTokenized
            ? new Request { Kind = RequestKind.Encode, Tokenized = sentences, ShowTokens = showTokens }
            : new Request { Kind = RequestKind.Encode, Texts = [.. sentences.Select(s => string.Join(' ', s))], ShowTokens = showTokens };
        return SendEncodeAsync(request, cancellationToken);
    }

    /// <summary>The server's description (model, dimension, limits); fetched once, on the first call.</summary>
    public ServerInfo GetServerInfo() => GetServerInfoAsync().GetAwaiter().GetResult();

    /// <inheritdoc cref="GetServerInfo"/>
    public Task<ServerInfo> GetServerInfoAsync(CancellationToken cancellationToken = default) =>
        HandshakeAsync().WaitAsync(cancellationToken);

    Task<EmbeddingMatrix> SendEncodeAsync(Request request, CancellationToken cancellationToken)
    {
        // The id is taken now, so a caller of Send knows it before the request leaves.
        request.RequestId = Interlocked.Increment(ref _nextRequestId);
        return SendEncodeAsync(request, request.RequestId, cancellationToken);
    }

    async Task<EmbeddingMatrix> SendEncodeAsync(Request request, long id, CancellationToken cancellationToken)
    {
        // The server skips work whose reply would come after we stop waiting for it.
        request.TimeoutMs = Timeout == System.Threading.Timeout.InfiniteTimeSpan ? 0 : (int)Math.Clamp(Timeout.TotalMilliseconds, 1, int.MaxValue);
        Interlocked.Increment(ref _numRequest);
        _inFlight[id] = 0;
        try
        {
            var info = await HandshakeAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            var received = await WaitForReplyAsync(id, _connection.SendAsync(request), cancellationToken).ConfigureAwait(false);
            var matrix = ToMatrix(received);
            CheckLength(info, received.Reply, matrix.Count);
            return matrix;
        }
        finally
        {
            _inFlight.TryRemove(id, out _);
        }
    }

    void CheckLength(ServerInfo info, Reply reply, int count)
    {
        if (_options.IgnoreAllChecks || !_options.CheckLength)
            return;
        if (info.MaxSeqLen is null)
        {
            if (Interlocked.Exchange(ref _warnedNoLimit, 1) == 0)
                _logger.LogWarning("The server puts no limit on max_seq_len (NONE): long sentences make every batch slow; consider a fixed -max_seq_len on the server");
            return;
        }
        if (reply.Truncated is { Count: > 0 } rows)
            _logger.LogWarning("{Truncated} of {Count} sentences had more WordPiece tokens than the server's max_seq_len={MaxSeqLen} and were cut on the right: rows {Rows}",
                rows.Count, count, info.MaxSeqLen, string.Join(", ", rows.Take(20)) + (rows.Count > 20 ? ", ..." : ""));
    }

    Task<ServerInfo> HandshakeAsync()
    {
        lock (_handshakeLock)
        {
            // A failed handshake is not cached: the next call tries again (the server may have come up since).
            if (_handshake is null || _handshake.IsFaulted || _handshake.IsCanceled)
                _handshake = RunHandshakeAsync();
            return _handshake;
        }
    }

    async Task<ServerInfo> RunHandshakeAsync()
    {
        var request = new Request { Kind = RequestKind.Hello, RequestId = Interlocked.Increment(ref _nextRequestId) };
        var reply = _connection.SendAsync(request);
        var waited = Task.Run(() => WaitForReplyAsync(request.RequestId, reply, CancellationToken.None));
        // Until our SUB subscription reaches the server, its PUB drops our replies: repeat the hello until one lands.
        while (!waited.IsCompleted)
        {
            await Task.WhenAny(waited, Task.Delay(HelloInterval)).ConfigureAwait(false);
            if (!waited.IsCompleted)
                _ = _connection.SendAsync(request);
        }
        var received = await waited.ConfigureAwait(false);
        var info = received.Reply.Info ?? throw new ServerErrorException("The server's hello carried no server info; is it a BertServing server?");
        if (!_options.IgnoreAllChecks && _options.CheckVersion && info.ServerVersion != ClientVersion)
            throw new ServerVersionMismatchException(info.ServerVersion, ClientVersion);
        if (!_options.IgnoreAllChecks && _options.ShowServerConfig)
        {
            var config = await SendJsonRequestAsync(RequestKind.ShowConfig, CancellationToken.None).ConfigureAwait(false);
            _logger.LogInformation("Server config: {Config}", JsonSerializer.Serialize(config));
        }
        return info;
    }

    async Task<ReceivedReply> WaitForReplyAsync(long requestId, Task<ReceivedReply> reply, CancellationToken cancellationToken)
    {
        ReceivedReply received;
        try
        {
            received = await reply.WaitAsync(Timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _connection.Forget(requestId);
            throw new TimeoutException(
                $"No response from the server within {Timeout.TotalMilliseconds:0} ms for request {requestId}. " +
                $"Is the server running and done loading (it logs 'ready')? Are {_endpoints} the server's -port and -port_out, and reachable through firewalls or published Docker ports? " +
                "Is the timeout too small for the amount of text sent?");
        }
        catch (OperationCanceledException)
        {
            _connection.Forget(requestId);
            throw;
        }
        if (received.Reply.Kind == ReplyKind.Error)
            throw new ServerErrorException(received.Reply.Error, received.Reply.Message ?? "(no message)", requestId);
        return received;
    }

    static EmbeddingMatrix ToMatrix(ReceivedReply received)
    {
        var reply = received.Reply;
        var shape = reply.Shape;
        if (reply.Kind != ReplyKind.Embeddings || shape is not { Count: 2 or 3 } || reply.Dtype != WireFormat.DtypeFloat32
            || shape.Any(d => d <= 0) || shape.Aggregate(1L, (a, d) => a * d) * sizeof(float) != received.Data.Length)
            throw new ServerErrorException($"Unexpected reply to request {reply.RequestId}: {reply.Kind} {reply.Dtype} [{string.Join(", ", shape ?? [])}] with {received.Data.Length} bytes; this client reads float32 [N, D] or [N, T, D].");
        var values = MemoryMarshal.Cast<byte, float>(received.Data).ToArray();
        return shape.Count == 3
            ? new EmbeddingMatrix(values, shape[0], shape[1], shape[2], reply.Tokens) { TruncatedRows = reply.Truncated ?? [] }
            : new EmbeddingMatrix(values, shape[0], shape[1], reply.Tokens) { TruncatedRows = reply.Truncated ?? [] };
    }

    /// <summary>Closes the sockets; calls still waiting fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _connection.Dispose();

    /// <inheritdoc/>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}

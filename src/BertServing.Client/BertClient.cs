using System.Runtime.InteropServices;
using System.Text;
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
public sealed class BertClient : IDisposable
{
    /// <summary>The default for <c>timeout</c>: 60 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    static readonly TimeSpan HelloInterval = TimeSpan.FromMilliseconds(100);

    readonly ClientConnection _connection;
    readonly string _endpoints;
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
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ip);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        ArgumentOutOfRangeException.ThrowIfLessThan(portOut, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(portOut, 65535);
        Timeout = timeout ?? DefaultTimeout;
        if (Timeout != System.Threading.Timeout.InfiniteTimeSpan && Timeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(timeout), Timeout, "The timeout must be positive or Timeout.InfiniteTimeSpan.");
        if (identity is not null && string.IsNullOrWhiteSpace(identity))
            throw new ArgumentException("The identity must not be empty.", nameof(identity));

        Identity = identity ?? Guid.NewGuid().ToString();
        _endpoints = $"tcp://{ip}:{port} (requests) and tcp://{ip}:{portOut} (results)";
        _connection = new ClientConnection(ip, port, portOut, Encoding.UTF8.GetBytes(Identity));
    }

    /// <summary>How long one call waits for its reply.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>This client's identity on the wire.</summary>
    public string Identity { get; }

    /// <summary>Encodes raw sentences into a <c>[N, D]</c> matrix.</summary>
    /// <param name="texts">Non-empty sentences; the server tokenizes them.</param>
    /// <param name="showTokens">Also return the tokens the model saw.</param>
    public EmbeddingMatrix Encode(IReadOnlyList<string> texts, bool showTokens = false) =>
        EncodeAsync(texts, showTokens).GetAwaiter().GetResult();

    /// <summary>Encodes sentences given as token lists.</summary>
    /// <param name="sentences">Non-empty lists of non-empty tokens.</param>
    /// <param name="isTokenized">True (bert-as-service's <c>is_tokenized</c>): each token is looked up in the
    /// vocabulary as given and unknown ones become [UNK]. False: the tokens of each sentence are joined with spaces
    /// and tokenized by the server like raw text.</param>
    /// <param name="showTokens">Also return the tokens the model saw.</param>
    public EmbeddingMatrix Encode(IReadOnlyList<IReadOnlyList<string>> sentences, bool isTokenized = true, bool showTokens = false) =>
        EncodeAsync(sentences, isTokenized, showTokens).GetAwaiter().GetResult();

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

    async Task<EmbeddingMatrix> SendEncodeAsync(Request request, CancellationToken cancellationToken)
    {
        await HandshakeAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        request.RequestId = Interlocked.Increment(ref _nextRequestId);
        var received = await WaitForReplyAsync(request.RequestId, _connection.SendAsync(request), cancellationToken).ConfigureAwait(false);
        return ToMatrix(received);
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
        return received.Reply.Info ?? throw new ServerErrorException("The server's hello carried no server info; is it a BertServing server?");
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
            ? new EmbeddingMatrix(values, shape[0], shape[1], shape[2], reply.Tokens)
            : new EmbeddingMatrix(values, shape[0], shape[1], reply.Tokens);
    }

    /// <summary>Closes the sockets; calls still waiting fail with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => _connection.Dispose();
}

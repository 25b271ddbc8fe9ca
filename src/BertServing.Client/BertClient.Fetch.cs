using System.Runtime.CompilerServices;
using System.Text.Json;
using BertServing.Client.Protocol;

namespace BertServing.Client;

// bert-serving-client's non-blocking and server-introspection API: encode(blocking=False), fetch, fetch_all,
// encode_async, server_config, server_status and status.
public sealed partial class BertClient
{
    /// <summary>
    /// Sends sentences without waiting (bas's <c>encode(..., blocking=False)</c>); collect the result with
    /// <see cref="Fetch"/> or <see cref="FetchAll"/>. Returns the request id.
    /// </summary>
    public long Send(IReadOnlyList<string> texts, bool showTokens = false)
    {
        InputValidation.CheckTexts(texts, nameof(texts));
        return Track(new Request { Kind = RequestKind.Encode, Texts = texts, ShowTokens = showTokens });
    }

    /// <summary>Sends pre-tokenized sentences without waiting; see <see cref="Send(IReadOnlyList{string}, bool)"/>.</summary>
    public long Send(IReadOnlyList<IReadOnlyList<string>> sentences, bool isTokenized = true, bool showTokens = false)
    {
        InputValidation.CheckTokenized(sentences, nameof(sentences));
        return Track(isTokenized
            ? new Request { Kind = RequestKind.Encode, Tokenized = sentences, ShowTokens = showTokens }
            : new Request { Kind = RequestKind.Encode, Texts = [.. sentences.Select(s => string.Join(' ', s))], ShowTokens = showTokens });
    }

    long Track(Request request)
    {
        request.RequestId = Interlocked.Increment(ref _nextRequestId);
        var id = request.RequestId;
        _sent[id] = SendEncodeAsync(request, id, CancellationToken.None);
        return id;
    }

    /// <summary>
    /// Yields the requests sent with <see cref="Send(IReadOnlyList{string}, bool)"/> as their replies arrive, in
    /// arrival order, until none is pending (bas's <c>fetch</c>). A failed request throws when its turn comes.
    /// </summary>
    public IEnumerable<EncodeResponse> Fetch()
    {
        while (!_sent.IsEmpty)
        {
            var pending = _sent.ToArray();
            if (pending.Length == 0)
                break; // another thread's Fetch took the last one between the check and the copy
            var index = Task.WaitAny([.. pending.Select(p => (Task)p.Value)]);
            var (id, task) = pending[index];
            if (!_sent.TryRemove(id, out _))
                continue; // another thread's Fetch took it: each result is yielded once
            yield return new EncodeResponse(id, task.GetAwaiter().GetResult());
        }
    }

    /// <summary>
    /// Waits for every request sent with <see cref="Send(IReadOnlyList{string}, bool)"/> (bas's <c>fetch_all</c>):
    /// their results sorted by request id when <paramref name="sort"/> (else in arrival order), or with
    /// <paramref name="concat"/> all rows in one matrix. Null when nothing is pending.
    /// </summary>
    public IReadOnlyList<EmbeddingMatrix>? FetchAll(bool sort = true, bool concat = false)
    {
        if (_sent.IsEmpty)
            return null;
        var responses = Fetch().ToList();
        if (sort)
            responses.Sort((a, b) => a.Id.CompareTo(b.Id));
        var matrices = responses.Select(r => r.Embeddings).ToList();
        return concat ? [EmbeddingMatrix.Concatenate(matrices)] : matrices;
    }

    /// <summary>
    /// Encodes a stream of batches (bas's <c>encode_async</c>; named apart from <c>EncodeAsync</c>, whose token-list overload takes the same shape): every batch is sent as soon as it is produced, without
    /// waiting for earlier answers, and the answers are yielded as they arrive, each with the id of its batch.
    /// </summary>
    public async IAsyncEnumerable<EncodeResponse> EncodeBatchesAsync(IAsyncEnumerable<IReadOnlyList<string>> batches, bool showTokens = false,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        var inFlight = new Dictionary<Task<EmbeddingMatrix>, long>();
        // One MoveNextAsync on the caller's source is always pending. When we stop early (a failed request, or the
        // caller breaks out), it must be cancelled and awaited before the source is disposed: disposing a running
        // async iterator throws NotSupportedException, which would replace the real error.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        IAsyncEnumerator<IReadOnlyList<string>>? source = batches.GetAsyncEnumerator(stop.Token);
        Task<bool>? next = null;
        try
        {
            next = source.MoveNextAsync().AsTask();
            while (next is not null || inFlight.Count > 0)
            {
                var waitFor = inFlight.Keys.Cast<Task>().ToList();
                if (next is not null) waitFor.Add(next);
                var done = await Task.WhenAny(waitFor).ConfigureAwait(false);
                if (done == next)
                {
                    if (await next.ConfigureAwait(false))
                    {
                        var batch = source.Current;
                        InputValidation.CheckTexts(batch, nameof(batches));
                        var request = new Request { Kind = RequestKind.Encode, Texts = batch, ShowTokens = showTokens, RequestId = Interlocked.Increment(ref _nextRequestId) };
                        inFlight[SendEncodeAsync(request, request.RequestId, cancellationToken)] = request.RequestId;
                        next = source.MoveNextAsync().AsTask();
                    }
                    else
                    {
                        next = null;
                    }
                    continue;
                }
                var finished = (Task<EmbeddingMatrix>)done;
                var id = inFlight[finished];
                inFlight.Remove(finished);
                yield return new EncodeResponse(id, await finished.ConfigureAwait(false));
            }
        }
        finally
        {
            if (next is { IsCompleted: false })
            {
                await stop.CancelAsync().ConfigureAwait(false);
                // A producer that ignores cancellation may never finish its MoveNextAsync: give it a moment, then
                // leave the disposal to run when it does, rather than hang the caller.
                if (await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false) != next)
                {
                    _ = next.ContinueWith(_ => source.DisposeAsync().AsTask(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap()
                        .ContinueWith(t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                    next = null;
                    source = null;
                }
                else if (next.IsFaulted || next.IsCanceled)
                {
                    _ = next.Exception; // the source's own ending (usually cancellation): ours is the error that counts
                }
            }
            if (source is not null)
                await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc cref="EncodeBatchesAsync(IAsyncEnumerable{IReadOnlyList{string}}, bool, CancellationToken)"/>
    public IAsyncEnumerable<EncodeResponse> EncodeBatchesAsync(IEnumerable<IReadOnlyList<string>> batches, bool showTokens = false, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batches);
        return EncodeBatchesAsync(batches.ToAsyncEnumerable(), showTokens, cancellationToken);
    }

    /// <summary>The server's configuration under bert-as-service's SHOW_CONFIG keys (bas's <c>server_config</c>).</summary>
    public IReadOnlyDictionary<string, JsonElement> GetServerConfig() => GetServerConfigAsync().GetAwaiter().GetResult();

    /// <inheritdoc cref="GetServerConfig"/>
    public async Task<IReadOnlyDictionary<string, JsonElement>> GetServerConfigAsync(CancellationToken cancellationToken = default)
    {
        await HandshakeAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return await SendJsonRequestAsync(RequestKind.ShowConfig, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The configuration plus request statistics under <c>statistic</c> (bas's <c>server_status</c>).</summary>
    public IReadOnlyDictionary<string, JsonElement> GetServerStatus() => GetServerStatusAsync().GetAwaiter().GetResult();

    /// <inheritdoc cref="GetServerStatus"/>
    public async Task<IReadOnlyDictionary<string, JsonElement>> GetServerStatusAsync(CancellationToken cancellationToken = default)
    {
        await HandshakeAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        return await SendJsonRequestAsync(RequestKind.ShowStatus, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>This client's own state (bas's <c>status</c>); no network.</summary>
    public ClientStatus Status => new(Identity, Interlocked.Read(ref _numRequest), _inFlight.Count, [.. _inFlight.Keys.Order()],
        _options.Port, _options.PortOut, _options.Ip, ClientVersion, Timeout);

    async Task<IReadOnlyDictionary<string, JsonElement>> SendJsonRequestAsync(RequestKind kind, CancellationToken cancellationToken)
    {
        var request = new Request { Kind = kind, RequestId = Interlocked.Increment(ref _nextRequestId) };
        var received = await WaitForReplyAsync(request.RequestId, _connection.SendAsync(request), cancellationToken).ConfigureAwait(false);
        if (received.Reply.Kind != ReplyKind.Json || received.Reply.Json is null)
            throw new ServerErrorException($"Unexpected reply to {kind}: {received.Reply.Kind}.");
        return JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(received.Reply.Json)!;
    }
}

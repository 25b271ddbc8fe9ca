using System.Diagnostics;
using BertServing.Client.Protocol;
using BertServing.Server.Batching;
using BertServing.Server.Telemetry;
using Microsoft.Extensions.Logging;
using NetMQ;
using NetMQ.Sockets;
using ErrorCode = BertServing.Client.Protocol.ErrorCode;

namespace BertServing.Server.Transport;

/// <summary>What the ZeroMQ front needs from the rest of the server, besides the pipeline.</summary>
/// <param name="Info">The native hello answer.</param>
/// <param name="Status">bert-as-service's SHOW_CONFIG/SHOW_STATUS reports, and the statistics every front records into.</param>
/// <param name="ShowTokensToClient">Send tokens with every bert-serving-client reply (<c>-show_tokens_to_client</c>).</param>
/// <param name="Terminate">Asks the host to stop (bert-serving-client's TERMINATION).</param>
/// <param name="Termination">Who may stop the server remotely (<c>-enable_termination</c>, <c>-termination_token</c>).</param>
public sealed record FrontendContext(ServerInfo Info, ServerStatus Status, bool ShowTokensToClient, Action Terminate, TerminationGuard Termination)
{
    /// <summary>Bytes in one request before it is refused as too large (<c>-max_message_bytes</c>).</summary>
    public int MaxMessageBytes { get; init; } = 64 << 20;

    /// <summary>The server's CurveZMQ key pair (<c>-curve_key_file</c>), or null for plain TCP.</summary>
    public NetMQCertificate? Curve { get; init; }
}

/// <summary>
/// The ZeroMQ front: PULL on <c>-port</c> for requests and XPUB on <c>-port_out</c> for results, which clients see as
/// bert-as-service's PUB. Two protocols share the sockets, told apart by frame count: 2 frames are the native
/// MessagePack protocol, 4 frames bert-serving-client 1.10's. One poller thread owns both sockets; replies computed
/// on worker threads come back through a <see cref="NetMQQueue{T}"/> the same poller drains, so no socket is ever
/// touched by two threads. Replies wait in a <see cref="SubscriptionGate"/> until their client's subscription arrives.
/// </summary>
public sealed class ZmqFrontend : IDisposable
{
    const string Front = "zmq", NativeRoute = "native", LegacyRoute = "bert-serving-client", Ok = "ok";

    readonly EncodingPipeline _pipeline;
    readonly FrontendContext _context;
    readonly ILogger _logger;
    readonly PullSocket _pull = new();
    readonly XPublisherSocket _pub = new();
    readonly NetMQQueue<(byte[] Identity, NetMQMessage Message)> _outbox = new();
    // Short enough for SubscriptionGate.SharedIdentityDelay; each tick is a few comparisons.
    readonly NetMQTimer _expiry = new(TimeSpan.FromMilliseconds(25));
    readonly NetMQPoller _poller;
    readonly SubscriptionGate _gate;
    bool _receiving = true;

    /// <summary>Binds both ports (throws <see cref="NetMQException"/> when taken); <see cref="Start"/> begins serving.</summary>
    public ZmqFrontend(string bindIp, int port, int portOut, EncodingPipeline pipeline, FrontendContext context, ILogger logger)
    {
        _pipeline = pipeline;
        _context = context;
        _logger = logger;
        _gate = new SubscriptionGate(logger);
        // Replies still queued at shutdown get a second to leave; requests have nothing to flush.
        _pub.Options.Linger = TimeSpan.FromSeconds(1);
        _pull.Options.Linger = TimeSpan.Zero;
        // The hard bound on what one frame may make us allocate; below it, oversized requests get a reply instead.
        _pull.Options.MaxMsgSize = 4L * context.MaxMessageBytes;
        if (context.Curve is { } curve)
        {
            // Both sockets: requests and replies are encrypted, and a peer without the server's public key cannot
            // complete the handshake, so it can neither send requests nor read anyone's replies.
            foreach (var socket in new NetMQSocket[] { _pull, _pub })
            {
                socket.Options.CurveServer = true;
                socket.Options.CurveCertificate = curve;
            }
        }
        try
        {
            Bind(_pull, bindIp, port, "-port");
            Bind(_pub, bindIp, portOut, "-port_out");
        }
        catch
        {
            Dispose();
            throw;
        }
        _pull.ReceiveReady += (_, e) => ReceiveAll(e.Socket);
        _pub.ReceiveReady += (_, e) =>
        {
            while (e.Socket.TryReceiveFrameBytes(out var frame))
                foreach (var released in _gate.OnSubscriptionFrame(frame))
                    _pub.SendMultipartMessage(released);
        };
        _outbox.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var reply, TimeSpan.Zero))
                Publish(reply.Identity, reply.Message);
        };
        _expiry.Elapsed += (_, _) =>
        {
            _gate.Expire();
            foreach (var due in _gate.Due())
                _pub.SendMultipartMessage(due);
        };
        _poller = [_pull, _pub, _outbox, _expiry];
    }

    /// <summary>Starts the poller thread.</summary>
    /// <summary>Binds <paramref name="socket"/>; an <see cref="IOException"/> naming the port and its flag when it cannot.</summary>
    static void Bind(NetMQSocket socket, string ip, int port, string flag)
    {
        try
        {
            socket.Bind($"tcp://{ip}:{port}");
        }
        catch (NetMQException e)
        {
            var why = e is AddressAlreadyInUseException ? "the port is already in use. Is another server running there? Choose a free port" : $"{e.ErrorCode}";
            throw new IOException($"Cannot bind tcp://{ip}:{port} ({flag}): {why}.", e);
        }
    }

    public void Start() => _poller.RunAsync("bertserving-zmq", isBackgroundThread: true);

    /// <summary>Stops taking requests; replies to accepted ones still go out.</summary>
    public void StopReceiving() => OnPollerThread(() =>
    {
        _receiving = false;
        _poller.Remove(_pull);
    });

    void ReceiveAll(NetMQSocket socket)
    {
        var message = new NetMQMessage();
        // Bounded drain: let queued replies interleave with a flood of requests.
        for (var i = 0; i < 256 && _receiving && socket.TryReceiveMultipartMessage(ref message); i++)
        {
            try
            {
                Handle(message);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // An exception here would end the poller thread and the server with it: one request must never
                // take everyone down. The fuzz test is what finds these; each one found gets a proper refusal.
                _logger.LogError(e, "Could not handle a request of {Frames} frames; it was dropped", message.FrameCount);
                ServerMetrics.Request(Front, "unknown", nameof(ErrorCode.Internal));
            }
            message = new NetMQMessage();
        }
    }

    /// <summary>The longest client identity accepted (bas and our clients send a 36-byte UUID).</summary>
    internal const int MaxIdentityBytes = 256;

    void Handle(NetMQMessage message)
    {
        if (message.FrameCount == 0 || message[0].BufferSize == 0)
        {
            _logger.LogWarning("Dropped a request of {Frames} frames with no identity: there is nobody to answer", message.FrameCount);
            return;
        }
        if (message[0].BufferSize > MaxIdentityBytes)
        {
            // Clients use a UUID (36 bytes) and ours refuse longer ones before sending. A huge identity would be kept
            // as a statistics key, and echoing it as a reply topic would queue up to 4x -max_message_bytes per reply
            // for any slow subscriber: this is the one refusal that is logged instead of answered.
            _logger.LogWarning("Dropped a request whose identity frame is {Bytes} bytes (at most {Max} are accepted)", message[0].BufferSize, MaxIdentityBytes);
            ServerMetrics.Request(Front, "unknown", nameof(ErrorCode.BadRequest));
            return;
        }
        var identity = message[0].ToByteArray();
        long size = 0;
        foreach (var frame in message)
            size += frame.MessageSize;
        switch (message.FrameCount)
        {
            case WireFormat.NativeRequestFrames:
                HandleNative(identity, message, size);
                break;
            case WireFormat.LegacyRequestFrames:
                HandleLegacy(identity, message, size);
                break;
            default:
                _logger.LogWarning("Refused a request of {Frames} frames from {Identity}", message.FrameCount, SubscriptionGate.Printable(identity));
                // Neither protocol: a native error reply, and a legacy one whose last frame parses as request id 0.
                Publish(identity, ReplyFrames.Error(identity, 0, ErrorCode.BadRequest,
                    $"Expected {WireFormat.NativeRequestFrames} frames [identity, request] or {WireFormat.LegacyRequestFrames} frames [identity, msg, req_id, msg_len], got {message.FrameCount}."));
                break;
        }
    }

    void HandleNative(byte[] identity, NetMQMessage message, long size)
    {
        var outcome = NativeRequestReader.Read(message, _context.Info.MaxSentencesPerRequest);
        // Decoded first only to learn the request id the client waits for; ZeroMQ's MaxMsgSize bounds what that costs.
        if (size > _context.MaxMessageBytes)
            outcome = new(null, ErrorCode.TooLarge, TooLarge(size), outcome.RequestId);
        var client = SubscriptionGate.Printable(identity);
        if (outcome.Request is not { } request)
        {
            _context.Status.Statistics.Record(client, isData: false, 0);
            _logger.LogDebug("Refused request {RequestId} from {Client}: {Error} {Message}", outcome.RequestId, client, outcome.Error, outcome.Message);
            ServerMetrics.Request(Front, NativeRoute, outcome.Error.ToString());
            Publish(identity, ReplyFrames.Error(identity, outcome.RequestId, outcome.Error, outcome.Message!));
            return;
        }
        var id = request.RequestId;
        switch (request.Kind)
        {
            case RequestKind.Hello:
                Publish(identity, ReplyFrames.Hello(identity, id, _context.Info));
                return;
            case RequestKind.ShowConfig:
            case RequestKind.ShowStatus:
                _context.Status.Statistics.Record(client, isData: false, 0);
                ServerMetrics.Request(Front, NativeRoute, Ok);
                Publish(identity, ReplyFrames.Json(identity, id, _context.Status.Report(request.Kind == RequestKind.ShowStatus)));
                return;
        }
        var count = request.Texts?.Count ?? request.Tokenized!.Count;
        _context.Status.Statistics.Record(client, isData: true, count);
        var job = new EncodeJob(count, finished =>
        {
            Count(NativeRoute, finished);
            _outbox.Enqueue((identity, finished.Error == ErrorCode.None
                ? ReplyFrames.Embeddings(identity, id, finished)
                : ReplyFrames.Error(identity, id, finished.Error, finished.ErrorMessage!)));
        })
        {
            Texts = request.Texts,
            Tokenized = request.Tokenized,
            ShowTokens = request.ShowTokens,
            Deadline = request.TimeoutMs > 0 ? Environment.TickCount64 + request.TimeoutMs : 0,
        };
        if (!_pipeline.TrySubmit(job))
        {
            var (code, why) = _pipeline.Refusal;
            ServerMetrics.Request(Front, NativeRoute, code.ToString());
            Publish(identity, ReplyFrames.Error(identity, id, code, why));
        }
    }

    void HandleLegacy(byte[] identity, NetMQMessage message, long size)
    {
        var outcome = size > _context.MaxMessageBytes
            ? new(LegacyCommand.Encode, LegacyRequestId(message), null, null, ErrorCode.TooLarge, TooLarge(size))
            : LegacyRequestReader.Read(message, _context.Info.MaxSentencesPerRequest);
        var client = SubscriptionGate.Printable(identity);
        var id = outcome.RequestId;
        if (outcome.Error != ErrorCode.None)
        {
            _context.Status.Statistics.Record(client, isData: false, 0);
            _logger.LogDebug("Refused a bert-serving-client request from {Client}: {Error} {Message}", client, outcome.Error, outcome.Message);
            ServerMetrics.Request(Front, LegacyRoute, outcome.Error.ToString());
            Publish(identity, LegacyReplyFrames.Error(identity, id, outcome.Error, outcome.Message!));
            return;
        }
        switch (outcome.Command)
        {
            case LegacyCommand.ShowConfig:
            case LegacyCommand.ShowStatus:
                _context.Status.Statistics.Record(client, isData: false, 0);
                ServerMetrics.Request(Front, LegacyRoute, Ok);
                var report = LegacyReplyFrames.Json(identity, id, _context.Status.Report(outcome.Command == LegacyCommand.ShowStatus));
                // bert-serving-client asks for the config as it connects; with a shared identity the subscriber we
                // know of may be another client's, so wait as bas does (an unsubscribed identity is held anyway).
                if (_gate.IsSubscribed(identity))
                    _gate.Delay(report);
                else
                    _gate.Hold(identity, report);
                return;
            case LegacyCommand.Terminate:
                _context.Status.Statistics.Record(client, isData: false, 0);
                if (_context.Termination.Refuse(outcome.Token) is { } refusal)
                {
                    _logger.LogWarning("Refused TERMINATION from {Client}: {Reason}", client, refusal);
                    ServerMetrics.Request(Front, LegacyRoute, "TerminationRefused");
                    Publish(identity, LegacyReplyFrames.Error(identity, id, ErrorCode.BadRequest, refusal));
                    return;
                }
                _logger.LogWarning("TERMINATION received from {Client}: shutting down", client);
                _context.Terminate();
                return;
        }
        var count = outcome.Texts?.Count ?? outcome.Tokenized!.Count;
        _context.Status.Statistics.Record(client, isData: true, count);
        var job = new EncodeJob(count, finished =>
        {
            Count(LegacyRoute, finished);
            _outbox.Enqueue((identity, finished.Error == ErrorCode.None
                ? LegacyReplyFrames.Embeddings(identity, id, finished)
                : LegacyReplyFrames.Error(identity, id, finished.Error, finished.ErrorMessage!)));
        })
        {
            Texts = outcome.Texts,
            Tokenized = outcome.Tokenized,
            ShowTokens = _context.ShowTokensToClient,
        };
        if (!_pipeline.TrySubmit(job))
        {
            var (code, why) = _pipeline.Refusal;
            ServerMetrics.Request(Front, LegacyRoute, code.ToString());
            Publish(identity, LegacyReplyFrames.Error(identity, id, code, why));
        }
    }

    string TooLarge(long size) => $"The request has {size} bytes; the limit is {_context.MaxMessageBytes} (-max_message_bytes). Split it.";

    // The request id to echo when the rest of a legacy request is not read: bert-serving-client matches on it.
    static byte[] LegacyRequestId(NetMQMessage message) =>
        message[2].MessageSize is > 0 and <= 18 ? message[2].ToByteArray() : "0"u8.ToArray();

    void Count(string route, EncodeJob finished)
    {
        if (finished.Error == ErrorCode.Expired)
            _context.Status.Statistics.RecordExpired();
        else if (finished.Error == ErrorCode.None)
            _context.Status.Answered(Stopwatch.GetElapsedTime(finished.AcceptedAt));
        ServerMetrics.Request(Front, route, finished.Error == ErrorCode.None ? Ok : finished.Error.ToString());
    }

    void Publish(byte[] identity, NetMQMessage reply)
    {
        // PUB never blocks; it would silently drop a reply nobody is subscribed to yet.
        if (_gate.IsSubscribed(identity))
            _pub.SendMultipartMessage(reply);
        else
            _gate.Hold(identity, reply);
    }

    void OnPollerThread(Action action)
    {
        if (!_poller.IsRunning)
        {
            action();
            return;
        }
        Task.Factory.StartNew(action, CancellationToken.None, TaskCreationOptions.None, _poller).Wait();
    }

    /// <summary>Sends what is still queued, then stops the poller and closes the sockets.</summary>
    public void Dispose()
    {
        if (_poller?.IsRunning == true)
        {
            // Replies enqueued by the last workers must leave before the sockets close.
            OnPollerThread(() =>
            {
                while (_outbox.TryDequeue(out var reply, TimeSpan.Zero))
                    Publish(reply.Identity, reply.Message);
                foreach (var due in _gate.Due(all: true))
                    _pub.SendMultipartMessage(due);
            });
            _poller.Stop();
        }
        _poller?.Dispose();
        _outbox.Dispose();
        _pull.Dispose();
        _pub.Dispose();
    }
}

using BertServing.Client.Protocol;
using BertServing.Server.Batching;
using Microsoft.Extensions.Logging;
using NetMQ;
using ErrorCode = BertServing.Client.Protocol.ErrorCode;
using NetMQ.Sockets;

namespace BertServing.Server.Transport;

/// <summary>
/// The ZeroMQ front: PULL on <c>-port</c> for requests, PUB on <c>-port_out</c> for results, as bert-as-service
/// binds them. One poller thread owns both sockets; replies computed on worker threads come back through a
/// <see cref="NetMQQueue{T}"/> that the same poller drains, so no socket is ever touched by two threads.
/// </summary>
public sealed class ZmqFrontend : IDisposable
{
    readonly EncodingPipeline _pipeline;
    readonly ServerInfo _info;
    readonly ILogger _logger;
    readonly PullSocket _pull = new();
    readonly PublisherSocket _pub = new();
    readonly NetMQQueue<NetMQMessage> _outbox = new();
    readonly NetMQPoller _poller;
    bool _receiving = true;

    /// <summary>Binds both ports (throws <see cref="AddressAlreadyInUseException"/> when taken); <see cref="Start"/> begins serving.</summary>
    public ZmqFrontend(int port, int portOut, EncodingPipeline pipeline, ServerInfo info, ILogger logger)
    {
        _pipeline = pipeline;
        _info = info;
        _logger = logger;
        // Replies still queued at shutdown get a second to leave; requests have nothing to flush.
        _pub.Options.Linger = TimeSpan.FromSeconds(1);
        _pull.Options.Linger = TimeSpan.Zero;
        try
        {
            _pull.Bind($"tcp://*:{port}");
            _pub.Bind($"tcp://*:{portOut}");
        }
        catch
        {
            _pull.Dispose();
            _pub.Dispose();
            _outbox.Dispose();
            throw;
        }
        _pull.ReceiveReady += (_, e) => ReceiveAll(e.Socket);
        _outbox.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var reply, TimeSpan.Zero))
                _pub.SendMultipartMessage(reply); // PUB never blocks: it drops for absent subscribers
        };
        _poller = [_pull, _outbox];
    }

    /// <summary>Starts the poller thread.</summary>
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
            Handle(message);
            message = new NetMQMessage();
        }
    }

    void Handle(NetMQMessage message)
    {
        if (message.FrameCount == 0 || message[0].BufferSize == 0)
        {
            _logger.LogWarning("Dropped a request of {Frames} frames with no identity: there is nobody to answer", message.FrameCount);
            return;
        }
        var identity = message[0].ToByteArray();
        if (message.FrameCount != WireFormat.NativeRequestFrames)
        {
            // bert-serving-client's 4-frame JSON protocol is answered in its own format by a later version; a native
            // error reply is the best answer a client of any other shape can get from us today.
            _logger.LogWarning("Refused a request of {Frames} frames from {Identity}; the native protocol sends {Expected}", message.FrameCount, message[0].ConvertToString(), WireFormat.NativeRequestFrames);
            Publish(ReplyFrames.Error(identity, 0, ErrorCode.BadRequest,
                $"Expected {WireFormat.NativeRequestFrames} frames [identity, request], got {message.FrameCount}."));
            return;
        }
        var outcome = NativeRequestReader.Read(message, _info.MaxSentencesPerRequest);
        if (outcome.Request is not { } request)
        {
            _logger.LogDebug("Refused request {RequestId}: {Error} {Message}", outcome.RequestId, outcome.Error, outcome.Message);
            Publish(ReplyFrames.Error(identity, outcome.RequestId, outcome.Error, outcome.Message!));
            return;
        }
        if (request.Kind == RequestKind.Hello)
        {
            Publish(ReplyFrames.Hello(identity, request.RequestId, _info));
            return;
        }
        Submit(identity, request);
    }

    void Submit(byte[] identity, Request request)
    {
        var id = request.RequestId;
        var count = request.Texts?.Count ?? request.Tokenized!.Count;
        var job = new EncodeJob(count, finished => _outbox.Enqueue(finished.Error == ErrorCode.None
            ? ReplyFrames.Embeddings(identity, id, finished)
            : ReplyFrames.Error(identity, id, finished.Error, finished.ErrorMessage!)))
        {
            Texts = request.Texts,
            Tokenized = request.Tokenized,
            ShowTokens = request.ShowTokens,
        };
        if (!_pipeline.TrySubmit(job))
            Publish(ReplyFrames.Error(identity, id, ErrorCode.Busy, "The server's queue is full; retry later."));
    }

    void Publish(NetMQMessage reply) => _pub.SendMultipartMessage(reply);

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
        if (_poller.IsRunning)
        {
            // Replies enqueued by the last workers must leave before the sockets close.
            OnPollerThread(() =>
            {
                while (_outbox.TryDequeue(out var reply, TimeSpan.Zero))
                    _pub.SendMultipartMessage(reply);
            });
            _poller.Stop();
        }
        _poller.Dispose();
        _outbox.Dispose();
        _pull.Dispose();
        _pub.Dispose();
    }
}

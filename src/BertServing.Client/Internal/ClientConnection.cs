using System.Collections.Concurrent;
using BertServing.Client.Protocol;
using MessagePack;
using NetMQ;
using NetMQ.Sockets;

namespace BertServing.Client.Internal;

/// <summary>
/// The client's two sockets and the one thread that owns them. NetMQ sockets are not thread-safe, so callers
/// never touch them: requests go in through a <see cref="NetMQQueue{T}"/> and replies come back through
/// <see cref="TaskCompletionSource{T}"/>s, which makes the connection safe to use from any number of threads.
/// </summary>
sealed class ClientConnection : IDisposable
{
    readonly byte[] _identity;
    readonly PushSocket _push;
    readonly SubscriberSocket _sub;
    readonly NetMQQueue<(long Id, NetMQMessage Message)> _outbox;
    readonly NetMQPoller _poller;
    readonly Queue<(long Id, NetMQMessage Message)> _unsent = new(); // the I/O thread's alone
    readonly NetMQTimer _retry = new(TimeSpan.FromMilliseconds(20));
    readonly ConcurrentDictionary<long, TaskCompletionSource<ReceivedReply>> _pending = new();
    int _disposed;

    public ClientConnection(string ip, int port, int portOut, byte[] identity, string? curveServerKey = null)
    {
        _identity = identity;
        _push = new PushSocket();
        _sub = new SubscriberSocket();
        if (curveServerKey is not null)
        {
            // CurveZMQ: both connections encrypted to the server's key. The server cannot check client keys (NetMQ has
            // no ZAP), so a fresh key pair per client is as good as a stored one.
            var server = NetMQCertificate.FromPublicKey(curveServerKey);
            var mine = new NetMQCertificate();
            foreach (var socket in new NetMQSocket[] { _push, _sub })
            {
                socket.Options.CurveServerCertificate = server;
                socket.Options.CurveCertificate = mine;
            }
        }
        // Linger 0: a disposed client must not keep the process alive flushing requests nobody will read.
        _push.Options.Linger = TimeSpan.Zero;
        _sub.Options.Linger = TimeSpan.Zero;
        _sub.Subscribe(identity);
        _push.Connect($"tcp://{ip}:{port}");
        _sub.Connect($"tcp://{ip}:{portOut}");

        _outbox = new NetMQQueue<(long, NetMQMessage)>();
        _outbox.ReceiveReady += (_, e) =>
        {
            while (e.Queue.TryDequeue(out var item, TimeSpan.Zero))
                _unsent.Enqueue(item);
            SendWhatWeCan();
        };
        // Never block the I/O thread: while the server is unreachable (not started yet, restarting) PUSH has nowhere
        // to put a request, so it waits here and is retried until it goes out or its caller's timeout forgets it.
        _retry.Enable = false;
        _retry.Elapsed += (_, _) => SendWhatWeCan();
        _sub.ReceiveReady += (_, e) =>
        {
            var message = new NetMQMessage();
            while (e.Socket.TryReceiveMultipartMessage(ref message))
            {
                Dispatch(message);
                message = new NetMQMessage();
            }
        };
        _poller = [_sub, _outbox, _retry];
        _poller.RunAsync("bertserving-client-io", isBackgroundThread: true);
    }

    void SendWhatWeCan()
    {
        while (_unsent.TryPeek(out var next))
        {
            if (!_pending.ContainsKey(next.Id) || _push.TrySendMultipartMessage(next.Message))
                _unsent.Dequeue(); // sent, or its caller stopped waiting
            else
                break;
        }
        _retry.Enable = _unsent.Count > 0;
    }

    /// <summary>Sends <paramref name="request"/> and returns the task of its reply.</summary>
    public Task<ReceivedReply> SendAsync(Request request)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var completion = new TaskCompletionSource<ReceivedReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        // A retried Hello reuses its id; the first registration stays and later copies share its task.
        completion = _pending.GetOrAdd(request.RequestId, completion);
        var message = new NetMQMessage(WireFormat.NativeRequestFrames);
        message.Append(_identity);
        message.Append(MessagePackSerializer.Serialize(request, WireFormat.Options));
        _outbox.Enqueue((request.RequestId, message));
        return completion.Task;
    }

    /// <summary>Stops waiting for <paramref name="requestId"/>; a late reply is then ignored.</summary>
    public void Forget(long requestId) => _pending.TryRemove(requestId, out _);

    void Dispatch(NetMQMessage message)
    {
        if (message.FrameCount != WireFormat.NativeReplyFrames || !message[0].Buffer.AsSpan().SequenceEqual(_identity))
            return; // a topic that merely starts with our identity, or not our protocol
        Reply reply;
        try
        {
            reply = MessagePackSerializer.Deserialize<Reply>(message[1].Buffer, WireFormat.Options);
        }
        catch (MessagePackSerializationException)
        {
            return; // undecodable: nothing to match it to; the caller's timeout reports the loss
        }
        if (_pending.TryRemove(reply.RequestId, out var completion))
            completion.TrySetResult(new ReceivedReply(reply, message[2].ToByteArray()));
    }

    void Fail(long id, Exception error)
    {
        if (_pending.TryRemove(id, out var completion))
            completion.TrySetException(error);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        // Order: stop the I/O thread, then close what it owned, then fail whoever still waits.
        _poller.Stop();
        _poller.Dispose();
        _outbox.Dispose();
        _push.Dispose();
        _sub.Dispose();
        foreach (var id in _pending.Keys)
            Fail(id, new ObjectDisposedException(nameof(BertClient), "The client was disposed while the request was pending."));
    }
}

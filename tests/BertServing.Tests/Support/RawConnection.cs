using System.Text;
using BertServing.Client.Protocol;
using MessagePack;
using NetMQ;
using NetMQ.Sockets;

namespace BertServing.Tests.Support;

/// <summary>
/// Bare sockets for sending what the real client never would (wrong frames, garbage payloads) and reading the
/// server's raw reply. Used from one test thread only.
/// </summary>
public sealed class RawConnection : IDisposable
{
    readonly PushSocket _push = new();
    readonly SubscriberSocket _sub = new();

    /// <param name="subscribeToAll">Listen to every reply the server publishes, not only this identity's (to prove none is sent).</param>
    public RawConnection(ServerProcess server, string? identity = null, bool subscribeToAll = false)
    {
        Identity = identity ?? Guid.NewGuid().ToString();
        _push.Options.Linger = TimeSpan.Zero;
        _sub.Options.Linger = TimeSpan.Zero;
        _sub.Subscribe(subscribeToAll ? "" : Identity);
        _push.Connect($"tcp://127.0.0.1:{server.Port}");
        _sub.Connect($"tcp://127.0.0.1:{server.PortOut}");
        WaitUntilSubscribed();
    }

    public string Identity { get; }

    public void Send(params byte[][] frames)
    {
        var message = new NetMQMessage();
        foreach (var frame in frames)
            message.Append(frame);
        _push.SendMultipartMessage(message);
    }

    public void SendRequest(Request request) =>
        Send(Encoding.UTF8.GetBytes(Identity), MessagePackSerializer.Serialize(request, WireFormat.Options));

    /// <summary>The next reply, decoded; throws when none arrives within <paramref name="timeout"/>.</summary>
    public (Reply Reply, byte[] Data) Receive(TimeSpan? timeout = null)
    {
        var message = new NetMQMessage();
        if (!_sub.TryReceiveMultipartMessage(timeout ?? TimeSpan.FromSeconds(20), ref message))
            throw new TimeoutException("No reply from the server.");
        Assert.Equal(WireFormat.NativeReplyFrames, message.FrameCount);
        Assert.Equal(Identity, message[0].ConvertToString());
        return (MessagePackSerializer.Deserialize<Reply>(message[1].Buffer, WireFormat.Options), message[2].ToByteArray());
    }

    /// <summary>Whether any message arrives within <paramref name="timeout"/>.</summary>
    public bool ReceivesAnything(TimeSpan timeout)
    {
        var message = new NetMQMessage();
        return _sub.TryReceiveMultipartMessage(timeout, ref message);
    }

    void WaitUntilSubscribed()
    {
        // PUB drops replies until our subscription arrives: say hello until answered, then drain extra answers.
        for (var attempt = 0; attempt < 100; attempt++)
        {
            SendRequest(new Request { Kind = RequestKind.Hello, RequestId = -1 });
            var message = new NetMQMessage();
            if (_sub.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(100), ref message))
            {
                while (_sub.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(200), ref message)) { }
                return;
            }
        }
        throw new TimeoutException("The server never answered hello.");
    }

    public void Dispose()
    {
        _push.Dispose();
        _sub.Dispose();
    }
}

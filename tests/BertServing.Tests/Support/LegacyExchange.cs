using System.Text.Json;
using NetMQ;
using NetMQ.Sockets;

namespace BertServing.Tests.Support;

/// <summary>One bert-serving-client 1.10 exchange on bare sockets: the 4 frames it sends, the reply it reads.</summary>
public static class LegacyExchange
{
    /// <summary>Sends <c>[identity, msg, req_id, msg_len]</c>; returns the reply's frames and its JSON header.</summary>
    public static (NetMQMessage Reply, JsonElement Header) Send(ServerProcess server, byte[] msg, string requestId, string msgLen)
    {
        var identity = Guid.NewGuid().ToString();
        using var sub = new SubscriberSocket();
        using var push = new PushSocket();
        sub.Options.Linger = push.Options.Linger = TimeSpan.Zero;
        sub.Subscribe(identity);
        sub.Connect($"tcp://127.0.0.1:{server.PortOut}");
        push.Connect($"tcp://127.0.0.1:{server.Port}");
        push.SendMultipartMessage(new NetMQMessage([new NetMQFrame(identity), new NetMQFrame(msg), new NetMQFrame(requestId), new NetMQFrame(msgLen)]));
        NetMQMessage? reply = null;
        Assert.True(sub.TryReceiveMultipartMessage(TimeSpan.FromSeconds(20), ref reply), "no reply");
        return (reply!, JsonDocument.Parse(reply![1].ToByteArray()).RootElement.Clone());
    }
}

using BertServing.Client.Protocol;
using BertServing.Server.Batching;
using MessagePack;
using NetMQ;
using ErrorCode = BertServing.Client.Protocol.ErrorCode;

namespace BertServing.Server.Transport;

/// <summary>Builds native reply messages <c>[identity, Reply, data]</c>.</summary>
static class ReplyFrames
{
    public static NetMQMessage Embeddings(byte[] identity, long requestId, EncodeJob job)
    {
        var reply = new Reply
        {
            Kind = ReplyKind.Embeddings,
            RequestId = requestId,
            Dtype = WireFormat.DtypeFloat32,
            Shape = job.Shape,
            Tokens = job.Tokens,
            Truncated = job.Truncated,
        };
        // The job's output buffer is the data frame itself: pooled rows were written straight into it.
        return Build(identity, reply, job.Output);
    }

    public static NetMQMessage Error(byte[] identity, long requestId, ErrorCode code, string message) =>
        Build(identity, new Reply { Kind = ReplyKind.Error, RequestId = requestId, Error = code, Message = message }, []);

    public static NetMQMessage Hello(byte[] identity, long requestId, ServerInfo info) =>
        Build(identity, new Reply { Kind = ReplyKind.Hello, RequestId = requestId, Info = info }, []);

    public static NetMQMessage Json(byte[] identity, long requestId, IReadOnlyDictionary<string, object?> content) =>
        Build(identity, new Reply { Kind = ReplyKind.Json, RequestId = requestId, Json = System.Text.Json.JsonSerializer.Serialize(content) }, []);

    static NetMQMessage Build(byte[] identity, Reply reply, byte[] data)
    {
        var message = new NetMQMessage(WireFormat.NativeReplyFrames);
        message.Append(identity);
        message.Append(MessagePackSerializer.Serialize(reply, WireFormat.Options));
        message.Append(data);
        return message;
    }
}

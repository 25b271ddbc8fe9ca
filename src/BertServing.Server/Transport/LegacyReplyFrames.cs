using System.Text.Json;
using BertServing.Server.Batching;
using NetMQ;
using ErrorCode = BertServing.Client.Protocol.ErrorCode;

namespace BertServing.Server.Transport;

/// <summary>
/// Builds bert-serving-client 1.10 replies: <c>[identity, header JSON, raw bytes, req_id]</c> for embeddings and
/// <c>[identity, JSON, req_id]</c> for SHOW_CONFIG/SHOW_STATUS; the client reads the request id from the last frame.
/// </summary>
static class LegacyReplyFrames
{
    static readonly int[] EmptyShape = [0];

    /// <summary>
    /// Embeddings: the header <c>{"dtype","shape","tokens"}</c> (tokens "" unless the server shows them, as bas sends
    /// it), then the job's output buffer as is.
    /// </summary>
    public static NetMQMessage Embeddings(byte[] identity, byte[] requestId, EncodeJob job)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["dtype"] = "float32",
            ["shape"] = job.Shape,
            ["tokens"] = job.Tokens is { } tokens ? tokens : "",
        });
        var message = new NetMQMessage(4);
        message.Append(identity);
        message.Append(header);
        message.Append(job.Output);
        message.Append(requestId);
        return message;
    }

    /// <summary>
    /// An error, shaped so bert-serving-client fails at once instead of waiting out its timeout: it passes the
    /// header's dtype to <c>numpy.frombuffer</c>, which raises <c>TypeError: data type 'bertserving error …' not
    /// understood</c> with our message in it. The header also carries the error plainly for other readers.
    /// </summary>
    public static NetMQMessage Error(byte[] identity, byte[] requestId, ErrorCode code, string text)
    {
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["dtype"] = $"bertserving error {code}: {text}",
            ["shape"] = EmptyShape,
            ["tokens"] = "",
            ["error"] = new Dictionary<string, object> { ["code"] = code.ToString(), ["message"] = text },
        });
        var message = new NetMQMessage(4);
        message.Append(identity);
        message.Append(header);
        message.Append(Array.Empty<byte>());
        message.Append(requestId);
        return message;
    }

    /// <summary>A SHOW_CONFIG or SHOW_STATUS answer.</summary>
    public static NetMQMessage Json(byte[] identity, byte[] requestId, IReadOnlyDictionary<string, object?> content)
    {
        var message = new NetMQMessage(3);
        message.Append(identity);
        message.Append(JsonSerializer.SerializeToUtf8Bytes(content));
        message.Append(requestId);
        return message;
    }
}

using BertServing.Client.Protocol;
using MessagePack;
using NetMQ;
using ErrorCode = BertServing.Client.Protocol.ErrorCode;

namespace BertServing.Server.Transport;

/// <summary>
/// Decodes and checks a native request <c>[identity, Request]</c>. Every refusal carries a message for the
/// caller; nothing that has an identity to answer is dropped.
/// </summary>
static class NativeRequestReader
{
    public readonly record struct Outcome(Request? Request, ErrorCode Error, string? Message, long RequestId);

    public static Outcome Read(NetMQMessage message, int maxSentences)
    {
        Request request;
        try
        {
            request = MessagePackSerializer.Deserialize<Request>(message[1].Buffer, WireFormat.Options);
        }
        catch (MessagePackSerializationException e)
        {
            return Refuse(ErrorCode.BadRequest, "The request is not a valid MessagePack Request: " + (e.InnerException?.Message ?? e.Message), 0);
        }
        if (request is null)
            return Refuse(ErrorCode.BadRequest, "The request is empty (MessagePack nil).", 0);
        var id = request.RequestId;
        if (request.Version != ProtocolVersion.Current)
            return Refuse(ErrorCode.UnsupportedVersion, $"Protocol version {request.Version} is not supported; this server speaks {ProtocolVersion.Current}.", id);
        return request.Kind switch
        {
            RequestKind.Hello or RequestKind.ShowConfig or RequestKind.ShowStatus => new Outcome(request, ErrorCode.None, null, id),
            RequestKind.Encode => CheckEncode(request, maxSentences),
            _ => Refuse(ErrorCode.BadRequest, $"Unknown request kind {(int)request.Kind}.", id),
        };
    }

    static Outcome CheckEncode(Request request, int maxSentences)
    {
        var id = request.RequestId;
        if ((request.Texts is null) == (request.Tokenized is null))
            return Refuse(ErrorCode.BadRequest, "An encode request carries either texts or tokenized sentences, exactly one of them.", id);
        var count = request.Texts?.Count ?? request.Tokenized!.Count;
        if (count == 0)
            return Refuse(ErrorCode.BadRequest, "The request has no sentences; send at least one.", id);
        if (count > maxSentences)
            return Refuse(ErrorCode.TooLarge, $"The request has {count} sentences; the limit is {maxSentences} (-max_request_sentences). Split it.", id);
        for (var i = 0; i < count; i++)
        {
            if (request.Texts is { } texts)
            {
                if (string.IsNullOrWhiteSpace(texts[i]))
                    return Refuse(ErrorCode.BadRequest, $"Sentence {i} is null, empty or whitespace.", id);
                continue;
            }
            var tokens = request.Tokenized![i];
            if (tokens is null || tokens.Count == 0)
                return Refuse(ErrorCode.BadRequest, $"Sentence {i} has no tokens.", id);
            for (var j = 0; j < tokens.Count; j++)
            {
                if (string.IsNullOrWhiteSpace(tokens[j]))
                    return Refuse(ErrorCode.BadRequest, $"Token {j} of sentence {i} is null, empty or whitespace.", id);
            }
        }
        return new Outcome(request, ErrorCode.None, null, id);
    }

    static Outcome Refuse(ErrorCode code, string message, long id) => new(null, code, message, id);
}

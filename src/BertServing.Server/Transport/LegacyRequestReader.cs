using System.Text;
using System.Text.Json;
using NetMQ;
using ErrorCode = BertServing.Client.Protocol.ErrorCode;

namespace BertServing.Server.Transport;

/// <summary>What a bert-serving-client 1.10 request asks.</summary>
enum LegacyCommand
{
    Encode,
    ShowConfig,
    ShowStatus,
    Terminate,
}

/// <summary>
/// Decodes bert-serving-client 1.10's 4-frame request <c>[identity, msg, req_id, msg_len]</c>: <c>msg</c> is a
/// command or the JSON of <c>list[str]</c> / <c>list[list[str]]</c>, the ids are ASCII decimals. Where bert-as-service
/// drops a malformed request (and its client waits forever), this says why, so the caller can be answered.
/// </summary>
static class LegacyRequestReader
{
    public sealed record Outcome(LegacyCommand Command, byte[] RequestId, IReadOnlyList<string>? Texts, IReadOnlyList<IReadOnlyList<string>>? Tokenized, ErrorCode Error, string? Message);

    static readonly JsonDocumentOptions Json = new() { MaxDepth = 4 };

    public static Outcome Read(NetMQMessage message, int maxSentences)
    {
        var requestId = message[2].ToByteArray();
        var msg = message[1];
        Outcome Refuse(ErrorCode code, string text) => new(LegacyCommand.Encode, requestId, null, null, code, text);

        if (!IsDecimal(requestId))
            return Refuse(ErrorCode.BadRequest, "req_id (frame 3) must be ASCII digits.");
        if (!IsDecimal(message[3].Buffer.AsSpan(0, message[3].MessageSize)))
            return Refuse(ErrorCode.BadRequest, "msg_len (frame 4) must be ASCII digits.");
        var command = msg.ConvertToString(Encoding.ASCII) switch
        {
            "SHOW_CONFIG" => LegacyCommand.ShowConfig,
            "SHOW_STATUS" => LegacyCommand.ShowStatus,
            "TERMINATION" => LegacyCommand.Terminate,
            _ => LegacyCommand.Encode,
        };
        if (command != LegacyCommand.Encode)
            return new Outcome(command, requestId, null, null, ErrorCode.None, null);

        if (!long.TryParse(message[3].ConvertToString(Encoding.ASCII), out var declared))
            return Refuse(ErrorCode.BadRequest, "msg_len is too large.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(msg.Buffer.AsMemory(0, msg.MessageSize), Json);
        }
        catch (JsonException e)
        {
            return Refuse(ErrorCode.BadRequest, "msg is not a command (SHOW_CONFIG, SHOW_STATUS, TERMINATION) nor valid JSON: " + e.Message);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Array)
                return Refuse(ErrorCode.BadRequest, $"msg must be a JSON list of strings or of lists of strings, got a {root.ValueKind}.");
            var count = root.GetArrayLength();
            if (count == 0)
                return Refuse(ErrorCode.BadRequest, "msg is an empty list; send at least one sentence.");
            if (count > maxSentences)
                return Refuse(ErrorCode.TooLarge, $"The request has {count} sentences; the limit is {maxSentences} (-max_request_sentences). Split it.");
            if (count != declared)
                return Refuse(ErrorCode.BadRequest, $"msg_len says {declared} but msg holds {count} sentences.");
            return root[0].ValueKind == JsonValueKind.Array ? ReadTokenized(root, requestId) : ReadTexts(root, requestId);
        }
    }

    static Outcome ReadTexts(JsonElement root, byte[] requestId)
    {
        var texts = new string[root.GetArrayLength()];
        var i = 0;
        foreach (var element in root.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.String)
                return new(LegacyCommand.Encode, requestId, null, null, ErrorCode.BadRequest, $"Element {i} is a {element.ValueKind}; all elements must be strings (or all lists of strings).");
            var text = element.GetString()!;
            if (string.IsNullOrWhiteSpace(text))
                return new(LegacyCommand.Encode, requestId, null, null, ErrorCode.BadRequest, $"Element {i} is empty or whitespace.");
            texts[i++] = text;
        }
        return new(LegacyCommand.Encode, requestId, texts, null, ErrorCode.None, null);
    }

    static Outcome ReadTokenized(JsonElement root, byte[] requestId)
    {
        var sentences = new IReadOnlyList<string>[root.GetArrayLength()];
        var i = 0;
        foreach (var element in root.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
                return new(LegacyCommand.Encode, requestId, null, null, ErrorCode.BadRequest, $"Element {i} is not a non-empty list of strings; pre-tokenized input is a list of lists of strings.");
            var tokens = new string[element.GetArrayLength()];
            var j = 0;
            foreach (var token in element.EnumerateArray())
            {
                if (token.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(token.GetString()))
                    return new(LegacyCommand.Encode, requestId, null, null, ErrorCode.BadRequest, $"Token {j} of element {i} is not a non-empty string.");
                tokens[j++] = token.GetString()!;
            }
            sentences[i++] = tokens;
        }
        return new(LegacyCommand.Encode, requestId, null, sentences, ErrorCode.None, null);
    }

    static bool IsDecimal(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty || bytes.Length > 18) return false;
        foreach (var b in bytes)
            if (b is < (byte)'0' or > (byte)'9') return false;
        return true;
    }
}

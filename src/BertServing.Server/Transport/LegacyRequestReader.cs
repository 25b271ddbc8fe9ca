using System.Text;
using System.Text.Json;
using BertServing.Server.Input;
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
    public sealed record Outcome(LegacyCommand Command, byte[] RequestId, IReadOnlyList<string>? Texts, IReadOnlyList<IReadOnlyList<string>>? Tokenized, ErrorCode Error, string? Message)
    {
        /// <summary>For TERMINATION: what followed <c>TERMINATION:</c> (ours, for <c>-termination_token</c>), or null.</summary>
        public string? Token { get; init; }
    }

    /// <summary>Separates TERMINATION from its token: <c>TERMINATION:token</c>.</summary>
    public const string TerminationPrefix = "TERMINATION:";

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
        var text = msg.MessageSize <= 256 ? msg.ConvertToString(Encoding.UTF8) : "";
        var command = text switch
        {
            "SHOW_CONFIG" => LegacyCommand.ShowConfig,
            "SHOW_STATUS" => LegacyCommand.ShowStatus,
            "TERMINATION" => LegacyCommand.Terminate,
            _ when text.StartsWith(TerminationPrefix, StringComparison.Ordinal) => LegacyCommand.Terminate,
            _ => LegacyCommand.Encode,
        };
        if (command != LegacyCommand.Encode)
        {
            var token = command == LegacyCommand.Terminate && text.Length > TerminationPrefix.Length ? text[TerminationPrefix.Length..] : null;
            return new Outcome(command, requestId, null, null, ErrorCode.None, null) { Token = token };
        }

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
            if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() is var count and > 0 && count <= maxSentences && count != declared)
                return Refuse(ErrorCode.BadRequest, $"msg_len says {declared} but msg holds {count} sentences.");
            var sentences = JsonSentences.Read(root, "msg", maxSentences);
            return new(LegacyCommand.Encode, requestId, sentences.Texts, sentences.Tokenized, sentences.Error, sentences.Message);
        }
    }

    static bool IsDecimal(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty || bytes.Length > 18) return false;
        foreach (var b in bytes)
            if (b is < (byte)'0' or > (byte)'9') return false;
        return true;
    }
}

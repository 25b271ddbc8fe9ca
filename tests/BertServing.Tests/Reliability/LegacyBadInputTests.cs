using System.Text;
using BertServing.Tests.Support;

namespace BertServing.Tests.Reliability;

/// <summary>
/// Every bad-input class in bert-serving-client's 4-frame protocol, and the reply it gets: an error whose JSON
/// header's <c>dtype</c> makes the Python client fail at once, with the request id echoed so it is matched.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class LegacyBadInputTests(ServerFixture fixture)
{
    static readonly byte[] Invalid = [0x5b, 0x22, 0x61, 0xa6, 0xff, 0x22, 0x5d]; // ["a<invalid UTF-8>"]

    public static TheoryData<string, byte[], string, string, string> Cases => new()
    {
        { "req_id not a number", Encoding.UTF8.GetBytes("[\"a\"]"), "x7", "1", "req_id (frame 3) must be ASCII digits" },
        { "msg_len not a number", Encoding.UTF8.GetBytes("[\"a\"]"), "7", "one", "msg_len (frame 4) must be ASCII digits" },
        { "msg_len not matching", Encoding.UTF8.GetBytes("[\"a\",\"b\"]"), "7", "3", "msg_len says 3 but msg holds 2" },
        { "invalid UTF-8", Invalid, "7", "1", "not valid UTF-8" },
        { "invalid JSON", Encoding.UTF8.GetBytes("[\"a\","), "7", "1", "nor valid JSON" },
        { "unknown command", Encoding.UTF8.GetBytes("RESTART_NOW"), "7", "1", "nor valid JSON" },
        { "not a list", Encoding.UTF8.GetBytes("{\"texts\":[\"a\"]}"), "7", "1", "must be a JSON list" },
        { "wrong element type", Encoding.UTF8.GetBytes("[\"a\",2]"), "7", "2", "Element 1 is a Number" },
        { "mixed strings and lists", Encoding.UTF8.GetBytes("[[\"a\"],\"b\"]"), "7", "2", "Element 1 is not a non-empty list" },
        { "empty list", Encoding.UTF8.GetBytes("[]"), "7", "0", "empty list" },
        { "empty string", Encoding.UTF8.GetBytes("[\"ok\",\"\"]"), "7", "2", "Element 1 is empty or whitespace" },
        { "whitespace string", Encoding.UTF8.GetBytes("[\" \\t \"]"), "7", "1", "Element 0 is empty or whitespace" },
        { "empty token", Encoding.UTF8.GetBytes("[[\"a\",\"\"]]"), "7", "1", "Token 1 of element 0" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_bad_request_gets_an_error_reply_matched_to_its_request_id(string what, byte[] msg, string requestId, string msgLen, string expected)
    {
        var (reply, header) = LegacyExchange.Send(fixture.Server, msg, requestId, msgLen);
        Assert.Equal(4, reply.FrameCount);
        Assert.Equal(requestId, reply[3].ConvertToString());
        Assert.StartsWith("bertserving error BadRequest: ", header.GetProperty("dtype").GetString(), StringComparison.Ordinal);
        var message = header.GetProperty("error").GetProperty("message").GetString()!;
        Assert.True(message.Contains(expected, StringComparison.Ordinal), $"{what}: {message}");
        using var client = fixture.NewClient();
        Assert.Equal(384, client.Encode(["still serving"]).Dimension);
    }
}

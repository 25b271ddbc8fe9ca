using System.Text;
using BertServing.Client;
using BertServing.Client.Protocol;
using BertServing.Tests.Support;
using MessagePack;

namespace BertServing.Tests.Integration;

/// <summary>Every bad input gets a clear error: the client rejects it before sending, the server answers what arrives.</summary>
[Collection(ServerCollection.Name)]
public sealed class BadInputTests(ServerFixture fixture)
{
    public static TheoryData<string?[], string> BadTexts => new()
    {
        { [], "empty" },
        { ["fine", null], "Sentence 1 is null" },
        { ["fine", "also fine", ""], "Sentence 2 is empty" },
        { ["   \t\n"], "Sentence 0 is empty or whitespace" },
    };

    [Theory]
    [MemberData(nameof(BadTexts))]
    public void Client_rejects_bad_texts_naming_the_index(string?[] texts, string expected)
    {
        using var client = fixture.NewClient();
        var error = Assert.Throws<ArgumentException>(() => client.Encode(texts!));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal("texts", error.ParamName);
    }

    [Fact]
    public void Client_rejects_null_and_bad_token_lists()
    {
        using var client = fixture.NewClient();
        Assert.Throws<ArgumentNullException>(() => client.Encode((IReadOnlyList<string>)null!));
        Assert.Contains("Sentence 1 has no tokens", Assert.Throws<ArgumentException>(() => client.Encode([["a"], []])).Message, StringComparison.Ordinal);
        Assert.Contains("Token 1 of sentence 0", Assert.Throws<ArgumentException>(() => client.Encode([["a", " "]])).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Client_times_out_with_a_message_saying_what_to_check()
    {
        // Nobody listens on these ports.
        using var client = new BertClient("127.0.0.1", ServerProcess.FreePort(), ServerProcess.FreePort(), TimeSpan.FromMilliseconds(500));
        var error = Assert.Throws<TimeoutException>(() => client.Encode(["hello"]));
        Assert.Contains("500 ms", error.Message, StringComparison.Ordinal);
        Assert.Contains("-port", error.Message, StringComparison.Ordinal);
        Assert.Contains("timeout", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, Request, ErrorCode, string> BadRequests => new()
    {
        { "no sentences", new Request { Kind = RequestKind.Encode, RequestId = 7, Texts = [] }, ErrorCode.BadRequest, "no sentences" },
        { "whitespace sentence", new Request { Kind = RequestKind.Encode, RequestId = 7, Texts = ["ok", " "] }, ErrorCode.BadRequest, "Sentence 1" },
        { "null sentence", new Request { Kind = RequestKind.Encode, RequestId = 7, Texts = ["ok", null!] }, ErrorCode.BadRequest, "Sentence 1" },
        { "both texts and tokens", new Request { Kind = RequestKind.Encode, RequestId = 7, Texts = ["a"], Tokenized = [["a"]] }, ErrorCode.BadRequest, "exactly one" },
        { "neither texts nor tokens", new Request { Kind = RequestKind.Encode, RequestId = 7 }, ErrorCode.BadRequest, "exactly one" },
        { "empty token list", new Request { Kind = RequestKind.Encode, RequestId = 7, Tokenized = [["a"], []] }, ErrorCode.BadRequest, "Sentence 1 has no tokens" },
        { "unknown kind", new Request { Kind = (RequestKind)99, RequestId = 7 }, ErrorCode.BadRequest, "Unknown request kind 99" },
        { "future version", new Request { Version = 42, Kind = RequestKind.Encode, RequestId = 7, Texts = ["a"] }, ErrorCode.UnsupportedVersion, "version 42" },
        { "too many sentences", new Request { Kind = RequestKind.Encode, RequestId = 7, Texts = [.. Enumerable.Repeat("a", 100_001)] }, ErrorCode.TooLarge, "limit is 100000" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public void Server_answers_each_bad_request_with_an_error(string what, Request request, ErrorCode code, string expected)
    {
        using var raw = new RawConnection(fixture.Server);
        raw.SendRequest(request);
        var (reply, data) = raw.Receive();

        Assert.True(reply.Kind == ReplyKind.Error, what);
        Assert.Equal(code, reply.Error);
        Assert.Equal(7, reply.RequestId);
        Assert.Contains(expected, reply.Message, StringComparison.Ordinal);
        Assert.Empty(data);
    }

    [Theory]
    [InlineData(new byte[] { 0xc1 }, "not a valid MessagePack")]           // never-used MessagePack byte
    [InlineData(new byte[] { 0x93, 0x01 }, "not a valid MessagePack")]     // truncated array
    [InlineData(new byte[] { 0xc0 }, "empty")]                             // nil
    public void Server_answers_undecodable_payloads(byte[] payload, string expected)
    {
        using var raw = new RawConnection(fixture.Server);
        raw.Send(Encoding.UTF8.GetBytes(raw.Identity), payload);
        var (reply, _) = raw.Receive();

        Assert.Equal(ReplyKind.Error, reply.Kind);
        Assert.Equal(ErrorCode.BadRequest, reply.Error);
        Assert.Contains(expected, reply.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void Server_answers_a_wrong_frame_count(int frames)
    {
        using var raw = new RawConnection(fixture.Server);
        var request = MessagePackSerializer.Serialize(new Request { Kind = RequestKind.Encode, Texts = ["a"] }, WireFormat.Options);
        raw.Send([Encoding.UTF8.GetBytes(raw.Identity), .. Enumerable.Repeat(request, frames - 1)]);
        var (reply, _) = raw.Receive();

        Assert.Equal(ErrorCode.BadRequest, reply.Error);
        Assert.Contains($"got {frames}", reply.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_identity_is_dropped_unanswered_and_kept_nowhere()
    {
        using var raw = new RawConnection(fixture.Server, subscribeToAll: true); // sees any reply, to any identity
        raw.Send(Encoding.UTF8.GetBytes(new string('x', 300)), MessagePackSerializer.Serialize(new Request { Kind = RequestKind.Encode, RequestId = 5, Texts = ["a"] }, WireFormat.Options));
        Assert.False(raw.ReceivesAnything(TimeSpan.FromMilliseconds(500))); // not computed, not echoed
        using var client = fixture.NewClient();
        Assert.DoesNotContain(new string('x', 300), System.Text.Json.JsonSerializer.Serialize(client.GetServerStatus()), StringComparison.Ordinal); // not a statistics key
        Assert.Equal(1, client.Encode(["still serving"]).Count);
    }

    [Fact]
    public void Server_survives_a_request_without_identity_and_keeps_serving()
    {
        using var raw = new RawConnection(fixture.Server, subscribeToAll: true); // a reply to any identity, even an empty one, would show
        raw.Send([], MessagePackSerializer.Serialize(new Request { Kind = RequestKind.Encode, RequestId = 1, Texts = ["a"] }, WireFormat.Options));
        Assert.False(raw.ReceivesAnything(TimeSpan.FromMilliseconds(300)));

        raw.SendRequest(new Request { Kind = RequestKind.Encode, RequestId = 2, Texts = ["still alive"] });
        var (reply, data) = raw.Receive();
        Assert.Equal(ReplyKind.Embeddings, reply.Kind);
        Assert.Equal(2, reply.RequestId);
        Assert.Equal(384 * sizeof(float), data.Length);
    }

    [Fact]
    public void Server_error_reaches_the_client_as_a_typed_exception()
    {
        using var client = fixture.NewClient();
        var error = Assert.Throws<ServerErrorException>(() => client.Encode([.. Enumerable.Repeat("a", 100_001)]));
        Assert.Equal(ErrorCode.TooLarge, error.Code);
        Assert.Contains("-max_request_sentences", error.Message, StringComparison.Ordinal);
    }
}

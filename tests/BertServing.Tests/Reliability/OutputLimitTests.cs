using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Reliability;

/// <summary>A request whose output cannot exist (over 2 GB in one array) is refused as too large, and the server goes on.</summary>
public sealed class OutputLimitTests
{
    [Fact]
    public async Task A_token_embedding_request_too_big_for_one_array_gets_TooLarge_and_the_server_serves_on()
    {
        using var server = await FlaggedServer.StartAsync("-pooling_strategy", "NONE", "-max_seq_len", "256");
        // 6000 x 256 tokens x 384 floats = 2.4 GB: more than one .NET array holds.
        var sentence = string.Join(' ', Enumerable.Repeat("word", 300));
        var error = await Assert.ThrowsAsync<ServerErrorException>(() => server.Client.EncodeAsync(Enumerable.Repeat(sentence, 6000).ToArray()));
        Assert.Equal(BertServing.Client.Protocol.ErrorCode.TooLarge, error.Code);
        Assert.Contains("send fewer sentences per request", error.Message, StringComparison.Ordinal);
        Assert.Equal([1, 256, 384], server.Client.Encode(["the server goes on"]).Shape); // T is -max_seq_len, as in bas
    }
}

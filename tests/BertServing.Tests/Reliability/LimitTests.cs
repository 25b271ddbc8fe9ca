using System.Text.Json;
using BertServing.Client;
using BertServing.Client.Protocol;
using BertServing.Tests.Support;
using ErrorCode = BertServing.Client.Protocol.ErrorCode;

namespace BertServing.Tests.Reliability;

/// <summary>One server with small limits, shared by the limit tests (limits hold per request, so sharing is safe).</summary>
public sealed class LimitServer : IAsyncLifetime
{
    ServerProcess? _server;

    public ServerProcess Server => _server ?? throw new InvalidOperationException("Not started.");

    public async Task InitializeAsync() =>
        _server = await ServerProcess.StartAsync("-cpu", "-max_message_bytes", "4096", "-max_sentence_chars", "200", "-max_request_sentences", "50");

    public Task DisposeAsync()
    {
        _server?.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Each size limit answered with an error naming its flag, on both protocols.</summary>
public sealed class LimitTests(LimitServer limits) : IClassFixture<LimitServer>
{
    ServerProcess Server => limits.Server;

    BertClient Client() => new("127.0.0.1", Server.Port, Server.PortOut, TimeSpan.FromSeconds(30));

    [Theory]
    [InlineData("bytes", "-max_message_bytes")]
    [InlineData("chars", "-max_sentence_chars")]
    [InlineData("sentences", "-max_request_sentences")]
    public void Native_requests_over_a_limit_get_TooLarge_naming_it(string what, string flag)
    {
        string[] texts = what switch
        {
            "bytes" => [.. Enumerable.Range(0, 40).Select(i => new string('a', 150) + i)],
            "chars" => ["fine", new string('b', 201)],
            _ => [.. Enumerable.Range(0, 51).Select(i => "s" + i)],
        };
        using var client = Client();
        var e = Assert.Throws<ServerErrorException>(() => client.Encode(texts));
        Assert.Equal(ErrorCode.TooLarge, e.Code);
        Assert.Contains(flag, e.Message, StringComparison.Ordinal);
        Assert.Equal(384, client.Encode(["and then a normal one"]).Dimension); // still serving
    }

    [Theory]
    [InlineData("bytes", "-max_message_bytes")]
    [InlineData("chars", "-max_sentence_chars")]
    public void Bert_serving_client_requests_over_a_limit_get_a_legacy_error_naming_it(string what, string flag)
    {
        string[] texts = what == "bytes" ? [.. Enumerable.Range(0, 40).Select(i => new string('a', 150) + i)] : ["fine", new string('b', 201)];
        var (reply, header) = LegacyExchange.Send(Server, JsonSerializer.SerializeToUtf8Bytes(texts), "7", texts.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("7", reply[3].ConvertToString());
        Assert.StartsWith("bertserving error TooLarge", header.GetProperty("dtype").GetString(), StringComparison.Ordinal);
        Assert.Contains(flag, header.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}

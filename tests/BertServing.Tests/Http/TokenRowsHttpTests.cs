using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Http;

/// <summary><c>-pooling_strategy NONE</c> over bas's <c>/encode</c>: one vector per token, nested as bas's <c>tolist()</c> nests them.</summary>
public sealed class TokenRowsHttpTests
{
    [Fact]
    public async Task Encode_returns_n_by_t_by_d_nested_lists_equal_to_the_zeromq_token_rows()
    {
        var httpPort = ServerProcess.FreePort();
        using var server = await ServerProcess.StartAsync("-cpu", "-pooling_strategy", "NONE", "-max_seq_len", "8", "-http_port", httpPort.ToString(CultureInfo.InvariantCulture));
        string[] sentences = ["First do it", "then do it right"];
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{httpPort}/"), Timeout = TimeSpan.FromSeconds(60) };
        using var response = await http.PostAsJsonAsync("encode", new { id = 7, texts = sentences });
        response.EnsureSuccessStatusCode();
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var result = json.RootElement.GetProperty("result");

        using var client = new BertClient("127.0.0.1", server.Port, server.PortOut, TimeSpan.FromSeconds(60));
        var expected = await client.EncodeAsync(sentences);
        Assert.Equal([2, 8, 384], expected.Shape);
        Assert.Equal(2, result.GetArrayLength());
        for (var i = 0; i < 2; i++)
        {
            var tokens = result[i];
            Assert.Equal(8, tokens.GetArrayLength());
            for (var t = 0; t < 8; t++)
            {
                var vector = tokens[t].EnumerateArray().Select(v => v.GetSingle()).ToArray();
                Numerics.AssertClose(expected.TokenVector(i, t), vector, 1e-5f);
            }
        }
    }
}

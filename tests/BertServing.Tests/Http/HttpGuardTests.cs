using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace BertServing.Tests.Http;

/// <summary>-http_api_key, -http_max_body, -max_request_sentences and a -cors origin list, over real HTTP.</summary>
public sealed class HttpGuardTests(GuardedHttpServerFixture fixture) : IClassFixture<GuardedHttpServerFixture>
{
    static HttpRequestMessage Post(string route, string json, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, route) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(HttpRequestMessage request)
    {
        using (request)
        using (var response = await fixture.Http.SendAsync(request))
            return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Theory]
    [InlineData(null, "requires an API key")]
    [InlineData("wrong", "not valid")]
    public async Task Encode_routes_refuse_a_missing_or_wrong_key_with_401(string? key, string expected)
    {
        var (status, body) = await SendAsync(Post("v1/embeddings", "{\"input\":\"hi\",\"model\":\"m\"}", key));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_api_key", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains(expected, body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        (status, body) = await SendAsync(Post("encode", "{\"id\":1,\"texts\":[\"hi\"]}", key));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(401, body.GetProperty("status").GetInt32());
        Assert.Equal("invalid_api_key", body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task The_right_key_encodes_operations_routes_stay_public_and_client_details_need_the_key()
    {
        var (status, body) = await SendAsync(Post("v1/embeddings", "{\"input\":\"hi\",\"model\":\"m\"}", GuardedHttpServerFixture.ApiKey));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(384, body.GetProperty("data")[0].GetProperty("embedding").GetArrayLength());
        (status, _) = await SendAsync(Post("encode", "{\"id\":1,\"texts\":[\"hi\"]}", GuardedHttpServerFixture.ApiKey));
        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var route in new[] { "health", "ready", "metrics", "status/live", "" })
        {
            using var response = await fixture.Http.GetAsync(route);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"/{route}: {response.StatusCode}");
        }
        // What names clients or the model needs the key too.
        foreach (var route in new[] { "status/server", "status/client", "v1/models" })
        {
            using (var response = await fixture.Http.GetAsync(route))
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"/{route} without the key: {response.StatusCode}");
            using var keyed = new HttpRequestMessage(HttpMethod.Get, route);
            keyed.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", GuardedHttpServerFixture.ApiKey);
            using var ok = await fixture.Http.SendAsync(keyed);
            Assert.True(ok.StatusCode == HttpStatusCode.OK, $"/{route} with the key: {ok.StatusCode}");
        }
    }

    [Fact]
    public async Task A_body_over_http_max_body_gets_413()
    {
        var input = JsonSerializer.Serialize(Enumerable.Range(0, 10).Select(i => new string('x', 600) + i));
        var (status, body) = await SendAsync(Post("v1/embeddings", $"{{\"input\":{input},\"model\":\"m\"}}", GuardedHttpServerFixture.ApiKey));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("-http_max_body", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task More_inputs_than_max_request_sentences_get_413_on_both_route_families()
    {
        var input = JsonSerializer.Serialize(Enumerable.Range(0, 21).Select(i => "s" + i));
        var (status, body) = await SendAsync(Post("v1/embeddings", $"{{\"input\":{input},\"model\":\"m\"}}", GuardedHttpServerFixture.ApiKey));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("-max_request_sentences", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        (status, body) = await SendAsync(Post("encode", $"{{\"id\":1,\"texts\":{input}}}", GuardedHttpServerFixture.ApiKey));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("TooLarge", body.GetProperty("type").GetString());
    }

    [Fact]
    public async Task Cors_answers_only_the_listed_origin()
    {
        foreach (var (origin, allowed) in new[] { ("https://app.example", true), ("https://evil.example", false) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Options, "v1/embeddings");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "POST");
            using var response = await fixture.Http.SendAsync(request);
            Assert.Equal(allowed, response.Headers.TryGetValues("Access-Control-Allow-Origin", out var values) && values.Single() == origin);
        }
    }
}

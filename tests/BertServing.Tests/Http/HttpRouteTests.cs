using System.Net;
using System.Net.Http.Json;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json;
using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Http;

/// <summary>Every HTTP route over real HTTP against the real server, values checked against the ZeroMQ path.</summary>
[Collection(HttpServerCollection.Name)]
public sealed class HttpRouteTests(HttpServerFixture fixture)
{
    static readonly string[] Sentences = BlogSentences.Three;

    float[][] ViaZeroMq(string[] sentences)
    {
        using var client = fixture.NewClient();
        return client.Encode(sentences).ToArrays();
    }

    static float[] Normalized(ReadOnlySpan<float> v)
    {
        var copy = v.ToArray();
        TensorPrimitives.Divide(copy, TensorPrimitives.Norm(copy), copy);
        return copy;
    }

    async Task<JsonElement> PostJsonAsync(string route, object body, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await fixture.Http.PostAsJsonAsync(route, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{route}: {(int)response.StatusCode} {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public async Task Bas_encode_echoes_the_id_and_returns_the_zeromq_vectors()
    {
        var body = await PostJsonAsync("encode", new { id = 123, texts = Sentences });
        Assert.Equal(123, body.GetProperty("id").GetInt32());
        Assert.Equal(200, body.GetProperty("status").GetInt32());
        var rows = body.GetProperty("result").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        var expected = ViaZeroMq(Sentences);
        Assert.Equal(3, rows.Length);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(384, rows[i].Length);
            Assert.True(Similarity.Cosine(expected[i], rows[i]) >= 0.99999f);
        }
    }

    [Fact]
    public async Task Bas_encode_takes_form_bodies_and_pre_tokenized_input()
    {
        using var form = new FormUrlEncodedContent([new("id", "abc"), new("texts", "hello world"), new("texts", "good day")]);
        using var response = await fixture.Http.PostAsync("encode", form);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("abc", body.GetProperty("id").GetString());
        var formRows = body.GetProperty("result").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();

        var tokenized = await PostJsonAsync("encode", new { id = 1, texts = new[] { new[] { "hello", "world" }, new[] { "good", "day" } }, is_tokenized = true });
        var tokenRows = tokenized.GetProperty("result").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        var expected = ViaZeroMq(["hello world", "good day"]);
        for (var i = 0; i < 2; i++)
        {
            Assert.True(Similarity.Cosine(expected[i], formRows[i]) >= 0.99999f);
            Assert.True(Similarity.Cosine(expected[i], tokenRows[i]) >= 0.99999f);
        }
    }

    [Theory]
    [InlineData("{\"id\":1,\"texts\":[]}", "empty list")]
    [InlineData("{\"id\":1,\"texts\":[\"fine\",\"  \"]}", "Element 1")]
    [InlineData("{\"id\":1}", "no 'texts'")]
    [InlineData("{\"id\":1,\"texts\":[\"a\"],\"is_tokenized\":\"yes\"}", "is_tokenized")]
    [InlineData("{\"id\":1,\"texts\":[\"a\",[\"b\"]]}", "Element 1")]
    [InlineData("[1,2", "not valid JSON")]
    public async Task Bas_encode_answers_bad_input_with_400_and_a_description(string json, string expected)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await fixture.Http.PostAsync("encode", content);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(400, body.GetProperty("status").GetInt32());
        Assert.Equal("BadRequest", body.GetProperty("type").GetString());
        Assert.Contains(expected, body.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_routes_report_bas_keys_and_count_http_requests()
    {
        await PostJsonAsync("encode", new { id = 1, texts = new[] { "count me" } });
        var server = await fixture.Http.GetFromJsonAsync<JsonElement>("status/server");
        Assert.Equal(200, server.GetProperty("status").GetInt32());
        Assert.Equal("1.10.0", server.GetProperty("server_version").GetString());
        var statistic = server.GetProperty("statistic");
        Assert.True(statistic.GetProperty("num_data_request").GetInt64() >= 1);
        Assert.True(statistic.GetProperty("num_total_seq").GetInt64() >= 1);
        var client = await fixture.Http.GetFromJsonAsync<JsonElement>("status/client");
        Assert.True(client.GetProperty("num_request").GetInt64() >= 1);
        Assert.Equal(2, client.GetProperty("max_concurrency").GetInt32());
    }

    [Theory]
    [InlineData("float")]
    [InlineData("base64")]
    public async Task OpenAi_embeddings_are_the_zeromq_vectors_normalized(string format)
    {
        var body = await PostJsonAsync("v1/embeddings", new { input = Sentences, model = "my-model", encoding_format = format });
        Assert.Equal("list", body.GetProperty("object").GetString());
        Assert.Equal("my-model", body.GetProperty("model").GetString());
        var data = body.GetProperty("data").EnumerateArray().ToArray();
        var expected = ViaZeroMq(Sentences);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(i, data[i].GetProperty("index").GetInt32());
            var embedding = data[i].GetProperty("embedding");
            var vector = format == "float"
                ? embedding.EnumerateArray().Select(x => x.GetSingle()).ToArray()
                : System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(embedding.GetString()!)).ToArray();
            Assert.Equal(384, vector.Length);
            Assert.InRange(TensorPrimitives.Norm(vector), 0.9999f, 1.0001f);
            Assert.True(Similarity.Cosine(expected[i], vector) >= 0.99999f);
            Numerics.AssertClose(Normalized(expected[i]), vector, 1e-5f);
        }
        // [CLS] first do it [SEP] + [CLS] then do it right [SEP] + [CLS] then do it better [SEP]
        Assert.Equal(5 + 6 + 6, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(17, body.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task OpenAi_dimensions_truncate_then_renormalize()
    {
        var full = await PostJsonAsync("v1/embeddings", new { input = "semantic search", model = "m" });
        var cut = await PostJsonAsync("v1/embeddings", new { input = "semantic search", model = "m", dimensions = 64 });
        var whole = full.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
        var vector = cut.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
        Assert.Equal(64, vector.Length);
        Assert.InRange(TensorPrimitives.Norm(vector), 0.9999f, 1.0001f);
        Numerics.AssertClose(Normalized(whole.AsSpan(0, 64)), vector, 1e-5f);
    }

    [Fact]
    public async Task OpenAi_token_id_input_equals_the_text_it_spells()
    {
        // "hello world" in bert-base-uncased's vocabulary, which all-MiniLM-L6-v2 uses.
        var ids = await PostJsonAsync("v1/embeddings", new { input = new[] { new[] { 7592, 2088 } }, model = "m" });
        var text = await PostJsonAsync("v1/embeddings", new { input = "hello world", model = "m" });
        var a = ids.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
        var b = text.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(x => x.GetSingle()).ToArray();
        Numerics.AssertClose(b, a, 1e-6f);
        Assert.Equal(4, ids.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        var single = await PostJsonAsync("v1/embeddings", new { input = new[] { 7592, 2088 }, model = "m" });
        Assert.Single(single.GetProperty("data").EnumerateArray());
    }

    [Theory]
    [InlineData("{\"model\":\"m\"}", "input", "required")]
    [InlineData("{\"input\":\"\",\"model\":\"m\"}", "input", "empty")]
    [InlineData("{\"input\":[],\"model\":\"m\"}", "input", "empty list")]
    [InlineData("{\"input\":[\"a\",3],\"model\":\"m\"}", "input", "item 1")]
    [InlineData("{\"input\":[[1,99999999]],\"model\":\"m\"}", "input", "not a token id")]
    [InlineData("{\"input\":\"a\",\"encoding_format\":\"int8\"}", "encoding_format", "'float' or 'base64'")]
    [InlineData("{\"input\":\"a\",\"dimensions\":0}", "dimensions", "1 to 384")]
    [InlineData("{\"input\":\"a\",\"dimensions\":385}", "dimensions", "1 to 384")]
    [InlineData("{\"input\":\"a\",\"model\":7}", "model", "string")]
    public async Task OpenAi_refusals_are_400_in_openai_error_shape(string json, string param, string expected)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        using var response = await fixture.Http.PostAsync("v1/embeddings", content);
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Contains(expected, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(error.TryGetProperty("code", out _));
    }

    [Fact]
    public async Task Health_ready_models_and_metrics_answer()
    {
        Assert.Equal("ok", (await fixture.Http.GetFromJsonAsync<JsonElement>("health")).GetProperty("status").GetString());
        var ready = await fixture.Http.GetFromJsonAsync<JsonElement>("ready");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal("all-MiniLM-L6-v2", ready.GetProperty("model").GetString());
        var models = await fixture.Http.GetFromJsonAsync<JsonElement>("v1/models");
        Assert.Equal("all-MiniLM-L6-v2", models.GetProperty("data")[0].GetProperty("id").GetString());

        await PostJsonAsync("v1/embeddings", new { input = new[] { "metrics please", "and two" }, model = "m" });
        using (var bad = new StringContent("{\"input\":\"\"}", Encoding.UTF8, "application/json"))
            (await fixture.Http.PostAsync("v1/embeddings", bad)).Dispose();
        var metrics = await fixture.Http.GetStringAsync("metrics");
        AssertMetric(metrics, "bertserving_requests_total", "front=\"http\"", "route=\"/v1/embeddings\"", "outcome=\"ok\"");
        AssertMetric(metrics, "bertserving_requests_total", "route=\"/v1/embeddings\"", "outcome=\"invalid_request\"");
        AssertMetric(metrics, "bertserving_sentences_total");
        AssertMetric(metrics, "bertserving_tokens_total");
        AssertMetric(metrics, "bertserving_batch_size_bucket", "le=\"512\"");
        AssertMetric(metrics, "bertserving_batch_tokens_count");
        foreach (var stage in new[] { "tokenize", "queue", "inference" })
            AssertMetric(metrics, "bertserving_stage_duration_seconds_count", $"stage=\"{stage}\"");
        Assert.Contains(metrics.Split('\n'), line => line.StartsWith("bertserving_queue_depth{", StringComparison.Ordinal) && line.Contains("waiting=\"sentences\"", StringComparison.Ordinal));
    }

    /// <summary>A sample of <paramref name="name"/> carrying every label in <paramref name="labels"/>, with a value above 0.</summary>
    static void AssertMetric(string metrics, string name, params string[] labels)
    {
        var samples = metrics.Split('\n').Where(line => line.StartsWith(name + "{", StringComparison.Ordinal) && labels.All(l => line.Contains(l, StringComparison.Ordinal))).ToArray();
        Assert.True(samples.Length > 0, $"no {name} with {string.Join(", ", labels)} in:\n{metrics}");
        Assert.Contains(samples, line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    [Fact]
    public async Task Cors_allows_any_origin_by_default()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "v1/embeddings");
        request.Headers.Add("Origin", "https://somewhere.example");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }

    [Fact]
    public async Task Beyond_http_max_connect_and_its_queue_requests_get_429_and_the_rest_are_all_answered()
    {
        // -http_max_connect 2: 2 run, 32 wait; 80 at once leaves at least 46 to refuse.
        var big = Enumerable.Range(0, 64).Select(i => $"sentence number {i} keeps the engine busy for a while").ToArray();
        var responses = await Task.WhenAll(Enumerable.Range(0, 80).Select(async _ =>
        {
            using var response = await fixture.Http.PostAsJsonAsync("v1/embeddings", new { input = big, model = "m" });
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests).ToArray();
        Assert.NotEmpty(refused);
        Assert.All(responses, r => Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.TooManyRequests, $"{r.StatusCode}: {r.Body}"));
        var error = JsonDocument.Parse(refused[0].Body).RootElement.GetProperty("error");
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.Contains("-http_max_connect", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.All(responses.Where(r => r.StatusCode == HttpStatusCode.OK), r =>
            Assert.Equal(64, JsonDocument.Parse(r.Body).RootElement.GetProperty("data").GetArrayLength()));
    }
}

using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;

namespace BertServing.Benchmarks;

/// <summary>
/// Drives the server's HTTP front as <see cref="ClientLoad"/> drives ZeroMQ: <c>clients</c> concurrent callers sharing
/// one connection pool, each sending <c>batchSize</c>-sentence requests one after another and decoding every vector
/// of the JSON reply, as an application would. The paired ceiling rounds make its ratios comparable with ZeroMQ's.
/// </summary>
static class HttpLoad
{
    /// <summary>The HTTP routes that encode.</summary>
    public enum Route
    {
        /// <summary><c>POST /v1/embeddings</c>, vectors as JSON numbers.</summary>
        OpenAiFloat,

        /// <summary><c>POST /v1/embeddings</c> with <c>encoding_format: base64</c> (raw little-endian floats).</summary>
        OpenAiBase64,

        /// <summary>bas's <c>POST /encode</c>.</summary>
        BasEncode,
    }

    public static string Describe(Route route) => route switch
    {
        Route.OpenAiFloat => "HTTP POST /v1/embeddings (float)",
        Route.OpenAiBase64 => "HTTP POST /v1/embeddings (base64)",
        _ => "HTTP POST /encode (bas)",
    };

    public static ClientLoad.Result Run(ServerUnderTest server, string[] corpus, Route route, int clients, int batchSize, int roundSentences, int repeats, Func<double> ceilingRound, Action? onRound = null)
    {
        using var http = NewClient(server, clients);
        var perClient = Math.Max(batchSize, roundSentences / clients);
        return ClientLoad.Rounds(repeats, ceilingRound, onRound, () =>
        {
            var callers = Enumerable.Range(0, clients).Select(c => Task.Run(async () =>
            {
                for (var sent = 0; sent < perClient; sent += batchSize)
                {
                    var start = (c * perClient + sent) % corpus.Length;
                    await EncodeAsync(http, route, [.. Enumerable.Range(0, batchSize).Select(i => corpus[(start + i) % corpus.Length])]).ConfigureAwait(false);
                }
            })).ToArray();
            Task.WaitAll(callers);
            return (double)clients * ((perClient + batchSize - 1) / batchSize * batchSize);
        });
    }

    /// <summary>Latencies of single 1-sentence requests, one at a time, on an otherwise idle server.</summary>
    public static double[] Latencies(ServerUnderTest server, string[] corpus, Route route, int probes)
    {
        using var http = NewClient(server, 1);
        for (var i = 0; i < ClientLoad.WarmUpProbes; i++)
            EncodeAsync(http, route, [corpus[i % corpus.Length]]).GetAwaiter().GetResult();
        var latencies = new double[probes];
        for (var i = 0; i < probes; i++)
        {
            var clock = Stopwatch.StartNew();
            EncodeAsync(http, route, [corpus[i % corpus.Length]]).GetAwaiter().GetResult();
            latencies[i] = clock.Elapsed.TotalMilliseconds;
        }
        return latencies;
    }

    static HttpClient NewClient(ServerUnderTest server, int connections) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{server.HttpPort}"),
            Timeout = TimeSpan.FromMinutes(5),
        };

    static async Task EncodeAsync(HttpClient http, Route route, string[] batch)
    {
        using var response = route switch
        {
            Route.BasEncode => await http.PostAsJsonAsync("/encode", new { id = 1, texts = batch, is_tokenized = false }).ConfigureAwait(false),
            _ => await http.PostAsJsonAsync("/v1/embeddings", new { input = batch, encoding_format = route == Route.OpenAiBase64 ? "base64" : "float" }).ConfigureAwait(false),
        };
        response.EnsureSuccessStatusCode();
        using var json = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync().ConfigureAwait(false)).ConfigureAwait(false);
        var rows = route == Route.BasEncode
            ? json.RootElement.GetProperty("result").EnumerateArray().Select(Floats).ToArray()
            : json.RootElement.GetProperty("data").EnumerateArray().Select(d => route == Route.OpenAiBase64 ? Base64Floats(d.GetProperty("embedding")) : Floats(d.GetProperty("embedding"))).ToArray();
        if (rows.Length != batch.Length || rows.Any(r => r.Length == 0))
            throw new InvalidOperationException($"{Describe(route)} answered {rows.Length} vectors for {batch.Length} sentences.");
    }

    static float[] Floats(JsonElement row) => [.. row.EnumerateArray().Select(v => v.GetSingle())];

    static float[] Base64Floats(JsonElement row)
    {
        var bytes = row.GetBytesFromBase64();
        var floats = new float[bytes.Length / sizeof(float)];
        Buffer.BlockCopy(bytes, 0, floats, 0, floats.Length * sizeof(float));
        return floats;
    }
}

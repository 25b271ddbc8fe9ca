using System.Diagnostics;
using System.Text.Json;
using BertServing.Client;
using BertServing.Tests.Support;
using Microsoft.Extensions.Logging;

namespace BertServing.Tests.Client;

/// <summary>bert-serving-client's whole API on the .NET client, against the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class ClientApiTests(ServerFixture fixture)
{
    static readonly string[] Corpus = File.ReadLines(RepoPaths.TestData("sentences-4000.txt")).Take(400).ToArray();

    BertClient NewClient(ILogger? logger = null, Action<BertClientOptions>? configure = null)
    {
        var options = new BertClientOptions { Ip = "127.0.0.1", Port = fixture.Server.Port, PortOut = fixture.Server.PortOut, Timeout = TimeSpan.FromSeconds(60) };
        configure?.Invoke(options);
        return new BertClient(options, logger);
    }

    [Fact]
    public void Send_then_fetch_yields_replies_in_arrival_order_matched_to_their_ids()
    {
        using var client = NewClient();
        client.GetServerInfo(); // handshake first, so the big request is surely sent before the small one
        var big = client.Send(Corpus);
        Thread.Sleep(50); // the big request reaches the server first
        var small = client.Send(["just one"]);
        var arrived = client.Fetch().ToList();
        Assert.Equal([small, big], arrived.Select(r => r.Id)); // the small one overtakes: out of order, still matched
        Assert.Equal(1, arrived[0].Embeddings.Count);
        Assert.Equal(400, arrived[1].Embeddings.Count);
        Assert.Empty(client.Fetch());
        Assert.Null(client.FetchAll());
    }

    [Fact]
    public void Fetch_all_sorts_by_id_and_concatenates()
    {
        using var client = NewClient();
        var ids = new[] { client.Send(Corpus[..300]), client.Send(Corpus[300..301]), client.Send(Corpus[301..303]) };
        var all = client.FetchAll(sort: true, concat: true)!;
        var matrix = Assert.Single(all);
        Assert.Equal([303, 384], matrix.Shape);
        Numerics.AssertClose(client.Encode([Corpus[300]])[0], matrix[300], 1e-5f);

        // The small request overtakes the big one (see above): sorting by id must put the big one back first.
        client.Send(Corpus[..300]);
        Thread.Sleep(50);
        client.Send(Corpus[300..301]);
        var sorted = client.FetchAll(sort: true)!;
        Assert.Equal([300, 1], sorted.Select(m => m.Count));
    }

    [Fact]
    public async Task Encode_async_over_a_stream_of_batches_answers_every_batch()
    {
        using var client = NewClient();
        static async IAsyncEnumerable<IReadOnlyList<string>> Batches()
        {
            for (var i = 0; i < 5; i++)
            {
                await Task.Yield();
                yield return Corpus.Skip(i * 10).Take(10).ToArray();
            }
        }
        var responses = new List<EncodeResponse>();
        await foreach (var response in client.EncodeBatchesAsync(Batches()))
            responses.Add(response);
        Assert.Equal(5, responses.Select(r => r.Id).Distinct().Count());
        var first = responses.OrderBy(r => r.Id).First().Embeddings;
        Numerics.AssertClose(client.Encode([Corpus[0]])[0], first[0], 1e-5f);

        var fromList = new List<EncodeResponse>();
        await foreach (var response in client.EncodeBatchesAsync(new[] { Corpus[..3], Corpus[3..4] }))
            fromList.Add(response);
        Assert.Equal([1, 3], fromList.Select(r => r.Embeddings.Count).Order());
    }

    /// <summary>A producer that yields <paramref name="first"/>, then waits (until cancelled) for a second batch that never comes.</summary>
    static async IAsyncEnumerable<IReadOnlyList<string>> OneBatchThenWait(IReadOnlyList<string> first, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken token = default)
    {
        yield return first;
        await Task.Delay(Timeout.Infinite, token);
        yield return first;
    }

    [Fact]
    public async Task Encode_batches_stopping_early_ends_cleanly_and_shows_the_real_error()
    {
        using var client = NewClient();
        // The caller breaks out while the producer waits: no NotSupportedException from disposing a running iterator.
        await foreach (var response in client.EncodeBatchesAsync(OneBatchThenWait(Corpus[..2])))
        {
            Assert.Equal(2, response.Embeddings.Count);
            break;
        }
        // A request the server refuses: its error comes out, not the producer's disposal.
        var error = await Assert.ThrowsAsync<ServerErrorException>(async () =>
        {
            await foreach (var _ in client.EncodeBatchesAsync(OneBatchThenWait([new string('a', 100_001)]))) { }
        });
        Assert.Contains("-max_sentence_chars", error.Message, StringComparison.Ordinal);

        // A producer that ignores cancellation must not hang the caller who breaks out.
        static async IAsyncEnumerable<IReadOnlyList<string>> Deaf()
        {
            yield return ["one"];
            await Task.Delay(Timeout.Infinite);
            yield return ["never"];
        }
        async Task BreakAfterFirst()
        {
            await foreach (var _ in client.EncodeBatchesAsync(Deaf()))
                break;
        }
        await BreakAfterFirst().WaitAsync(TimeSpan.FromSeconds(60));
    }

    [Fact]
    public void Server_config_and_status_have_bas_keys()
    {
        using var client = NewClient();
        client.Encode(["count me"]);
        var config = client.GetServerConfig();
        Assert.Equal("1.10.0", config["server_version"].GetString());
        Assert.Equal(256, config["max_seq_len"].GetInt32());
        Assert.Equal(2, config["pooling_strategy"].GetInt32()); // REDUCE_MEAN, as bas's enum integer
        Assert.True(config["do_lower_case"].GetBoolean());
        Assert.Equal(fixture.Server.Port, config["port"].GetInt32());
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$", config["server_start_time"].GetString()); // Python's str(datetime)

        var status = client.GetServerStatus();
        var statistic = status["statistic"];
        Assert.True(statistic.GetProperty("num_data_request").GetInt64() >= 1);
        Assert.True(statistic.GetProperty("num_total_client").GetInt64() >= 1);
        Assert.True(statistic.GetProperty("num_active_client").GetInt64() >= 1);
        foreach (var key in new[] { "num_total_seq", "num_sys_request", "num_total_request", "avg_request_per_client", "max_size_per_request", "min_size_per_request" })
            Assert.True(statistic.TryGetProperty(key, out _), key);
    }

    [Fact]
    public void Status_is_local()
    {
        using var client = NewClient(configure: o => o.Identity = "status-client");
        client.Encode(["one"]);
        var status = client.Status;
        Assert.Equal("status-client", status.Identity);
        Assert.Equal(1, status.NumRequest);
        Assert.Equal(0, status.NumPendingRequest);
        Assert.Equal("127.0.0.1", status.ServerIp);
        Assert.Equal(fixture.Server.PortOut, status.PortOut);
        Assert.Equal(BertClient.ClientVersion, status.ClientVersion);
    }

    [Fact]
    public void Truncated_sentences_are_reported_and_logged_in_wordpieces()
    {
        var logger = new ListLogger();
        using var client = NewClient(logger);
        var longSentence = string.Join(' ', Enumerable.Repeat("tokenization", 200)); // 2 WordPieces each, 400 > 256
        var result = client.Encode(["short", longSentence]);
        Assert.Equal([1], result.TruncatedRows);
        var warning = Assert.Single(logger.Entries, e => e.Level == LogLevel.Warning);
        Assert.Contains("max_seq_len=256", warning.Message, StringComparison.Ordinal);
        Assert.Contains("rows 1", warning.Message, StringComparison.Ordinal);

        var quiet = new ListLogger();
        using var unchecked_ = NewClient(quiet, o => o.IgnoreAllChecks = true);
        unchecked_.Encode([longSentence]);
        Assert.Empty(quiet.Entries);
    }

    [Fact]
    public void Show_server_config_logs_it_once_connected()
    {
        var logger = new ListLogger();
        using var client = NewClient(logger, o => o.ShowServerConfig = true);
        client.Encode(["hello"]);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Information && e.Message.Contains("\"server_version\":\"1.10.0\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_pool_refuses_more_concurrent_calls_than_it_has_clients()
    {
        await using var pool = new ConcurrentBertClient(2, new BertClientOptions { Ip = "127.0.0.1", Port = fixture.Server.Port, PortOut = fixture.Server.PortOut });
        var first = pool.EncodeAsync(Corpus);
        var second = pool.EncodeAsync(Corpus);
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => pool.EncodeAsync(["third"]));
        Assert.Contains("Too many concurrent connections", e.Message, StringComparison.Ordinal);
        Assert.Contains("currently = 2", e.Message, StringComparison.Ordinal);
        Assert.Equal(400, (await first).Count);
        Assert.Equal(400, (await second).Count);
        Assert.Equal(1, (await pool.EncodeAsync(["now there is room"])).Count);
        Assert.True((await pool.GetServerConfigAsync()).ContainsKey("server_version"));
    }

    [Fact]
    public void Tokens_match_the_python_wire_tests_fixture()
    {
        // tests/python/bas_client_test.py checks bert-serving-client gets these same tokens over the 4-frame protocol.
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "tests", "python", "expected-tokens.json")));
        var sentences = document.RootElement.GetProperty("sentences").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var expected = document.RootElement.GetProperty("tokens").EnumerateArray().Select(s => s.EnumerateArray().Select(t => t.GetString()!).ToArray()).ToArray();
        using var client = NewClient();
        var result = client.Encode(sentences, showTokens: true);
        for (var i = 0; i < sentences.Length; i++)
            Assert.Equal(expected[i], result.Tokens![i]);
    }
}

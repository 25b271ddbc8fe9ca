using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Reliability;

/// <summary>64 concurrent clients × 200 requests of distinct sentences: every reply is that sentence's own vector.</summary>
public sealed class LoadTests(Xunit.Abstractions.ITestOutputHelper output)
{
    const int Clients = 64;
    const int RequestsPerClient = 200;

    [Fact]
    public async Task Sixty_four_clients_each_get_their_own_200_answers_none_lost_none_misrouted()
    {
        using var server = await ServerProcess.StartAsync("-cpu");
        var corpus = File.ReadLines(RepoPaths.TestData("sentences-4000.txt")).ToArray();
        // Distinct per client and request: a reply delivered to the wrong request cannot match.
        string Sentence(int c, int r) => $"{corpus[(c * RequestsPerClient + r) % corpus.Length]} (client {c}, request {r})";

        var expected = new Dictionary<string, float[]>();
        using (var reference = new BertClient("127.0.0.1", server.Port, server.PortOut, TimeSpan.FromSeconds(300)))
        {
            var all = Enumerable.Range(0, Clients).SelectMany(c => Enumerable.Range(0, RequestsPerClient).Select(r => Sentence(c, r))).ToArray();
            foreach (var chunk in all.Chunk(1024))
            {
                var rows = reference.Encode(chunk).ToArrays();
                for (var i = 0; i < chunk.Length; i++)
                    expected[chunk[i]] = rows[i];
            }
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var answered = 0;
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(c => Task.Run(async () =>
        {
            using var client = new BertClient("127.0.0.1", server.Port, server.PortOut, TimeSpan.FromSeconds(300));
            for (var r = 0; r < RequestsPerClient; r++)
            {
                var sentence = Sentence(c, r);
                var row = (await client.EncodeAsync([sentence])).Row(0);
                if (Similarity.Cosine(expected[sentence], row) < 0.99999f)
                    failures.Enqueue($"client {c} request {r} got another sentence's vector");
                Interlocked.Increment(ref answered);
            }
        })));
        output.WriteLine($"{Clients * RequestsPerClient} requests from {Clients} clients in {clock.Elapsed.TotalSeconds:0.0} s ({Clients * RequestsPerClient / clock.Elapsed.TotalSeconds:0} requests/s), {failures.Count} wrong");
        Assert.Empty(failures);
        Assert.Equal(Clients * RequestsPerClient, answered);
    }
}

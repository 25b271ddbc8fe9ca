using System.Diagnostics;
using BertServing.Client;

namespace BertServing.Benchmarks;

/// <summary>
/// Drives a server with <c>clients</c> real clients, each on its own thread with its own sockets, sending requests of
/// <c>batchSize</c> sentences one after another; a round is <c>roundSentences</c> split evenly among them.
/// </summary>
static class ClientLoad
{
    /// <summary>Sentences/s over the timed rounds, and the median of each round's rate over the ceiling's rate
    /// measured just before it: paired, so the machine's drift between configurations cancels out.</summary>
    public sealed record Result(double Average, double Min, double Max, double Ratio);

    /// <summary>Unmeasured single requests before latency probes, on both the server and the raw path.</summary>
    public const int WarmUpProbes = 100;

    /// <summary>Runs <paramref name="repeats"/> timed rounds of <paramref name="clients"/> clients. With
    /// <paramref name="pipelined"/>, each client sends all its batches at once (<c>EncodeBatchesAsync</c>, bas's
    /// <c>encode_async</c>) instead of one blocking <c>Encode</c> after another.</summary>
    public static Result Run(ServerUnderTest server, string[] corpus, int clients, int batchSize, int roundSentences, int repeats, Func<double> ceilingRound, Action? onRound = null, bool pipelined = false)
    {
        var perClient = Math.Max(batchSize, roundSentences / clients);
        var workers = Enumerable.Range(0, clients)
            .Select(_ => new BertClient(new BertClientOptions { Ip = "127.0.0.1", Port = server.Port, PortOut = server.PortOut, Timeout = TimeSpan.FromMinutes(5) }))
            .ToArray();
        try
        {
            return Rounds(repeats, ceilingRound, onRound, () =>
            {
                var threads = workers.Select((client, c) => new Thread(() =>
                {
                    var batches = new List<string[]>();
                    for (var sent = 0; sent < perClient; sent += batchSize)
                    {
                        var start = (c * perClient + sent) % corpus.Length;
                        batches.Add([.. Enumerable.Range(0, batchSize).Select(i => corpus[(start + i) % corpus.Length])]);
                    }
                    if (pipelined)
                        foreach (var _ in client.EncodeBatchesAsync(batches).ToBlockingEnumerable()) { }
                    else
                        foreach (var batch in batches) client.Encode(batch);
                })).ToList();
                threads.ForEach(t => t.Start());
                threads.ForEach(t => t.Join());
                return (double)clients * ((perClient + batchSize - 1) / batchSize * batchSize);
            });
        }
        finally
        {
            foreach (var client in workers) client.Dispose();
        }
    }

    /// <summary>
    /// One unmeasured round (it warms the connections and the server), then <paramref name="repeats"/> timed ones,
    /// each after a ceiling round; <paramref name="round"/> runs one round and returns the sentences it encoded.
    /// </summary>
    public static Result Rounds(int repeats, Func<double> ceilingRound, Action? onRound, Func<double> round)
    {
        var rates = new List<double>();
        var ratios = new List<double>();
        for (var i = 0; i <= repeats; i++)
        {
            var ceiling = i > 0 ? ceilingRound() : double.NaN;
            var clock = Stopwatch.StartNew();
            var sentences = round();
            if (i > 0)
            {
                rates.Add(sentences / clock.Elapsed.TotalSeconds);
                ratios.Add(rates[^1] / ceiling);
            }
            onRound?.Invoke();
        }
        return new Result(rates.Average(), rates.Min(), rates.Max(), Report.Percentile([.. ratios], 50));
    }

    /// <summary>Latencies of single 1-sentence requests, one at a time, on an otherwise idle server.</summary>
    public static double[] Latencies(ServerUnderTest server, string[] corpus, int probes)
    {
        using var client = new BertClient(new BertClientOptions { Ip = "127.0.0.1", Port = server.Port, PortOut = server.PortOut });
        // A fresh server's code is still being tiered up by the JIT: measure it as it serves, not as it starts.
        for (var i = 0; i < WarmUpProbes; i++)
            client.Encode([corpus[i % corpus.Length]]);
        var latencies = new double[probes];
        for (var i = 0; i < probes; i++)
        {
            var sentence = corpus[i % corpus.Length];
            var clock = Stopwatch.StartNew();
            client.Encode([sentence]);
            latencies[i] = clock.Elapsed.TotalMilliseconds;
        }
        return latencies;
    }
}

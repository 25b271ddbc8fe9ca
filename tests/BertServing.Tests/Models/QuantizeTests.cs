using BertServing.Client;
using BertServing.Server.Models;
using BertServing.Tests.Support;
using Xunit.Abstractions;

namespace BertServing.Tests.Models;

/// <summary><c>-quantize int8</c> on the built-in model: close to float32, same ranking, cached graph.</summary>
public sealed class QuantizeTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Int8_embeddings_stay_within_cosine_099_of_float32_for_every_corpus_sentence()
    {
        var corpus = File.ReadLines(RepoPaths.TestData("sentences-4000.txt")).ToArray();
        string[] blog = BlogSentences.Three;
        var servers = await FlaggedServer.StartAllAsync([], ["-quantize", "int8"]);
        try
        {
            foreach (var server in servers)
                server.Client.Encode(corpus[..64]); // warm, so the 120 s client timeout covers only the real work
            var (fp32, int8) = (servers[0], servers[1]);
            Assert.Contains("int8 matmuls", int8.Process.Stdout, StringComparison.Ordinal);
            var a = fp32.Client.Encode(corpus);
            var b = int8.Client.Encode(corpus);
            var cosines = Enumerable.Range(0, corpus.Length).Select(i => Similarity.Cosine(a.Row(i), b.Row(i))).ToArray();
            output.WriteLine($"cosine int8 vs float32 over {corpus.Length} sentences: min {cosines.Min():0.0000}, mean {cosines.Average():0.0000}");
            Assert.True(cosines.Min() >= 0.99f, $"{cosines.Count(c => c < 0.99f)} sentences under cosine 0.99, min {cosines.Min()}");
            Assert.True(cosines.Max() < 0.999999f, "int8 output identical to float32: the graph was not quantized");

            var cos = Similarity.CosineMatrix(int8.Client.Encode(blog));
            Assert.True(cos[0, 1] > cos[0, 2]);
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
        }

        // The quantized graph is cached: the next start loads it.
        using var again = await FlaggedServer.StartAsync("-quantize", "int8");
        Assert.Contains("loaded from cache", again.Process.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Per_column_scales_round_trip_within_half_a_step()
    {
        float[] weights = [0.5f, -2f, 0.25f, 1f, -0.125f, 4f]; // 2 rows × 3 columns
        var (values, scales) = Int8Quantizer.Quantize(weights, rows: 2, columns: 3);
        Assert.Equal([1f / 127, 2f / 127, 4f / 127], scales); // each column's largest magnitude / 127
        for (var i = 0; i < weights.Length; i++)
            Assert.InRange(values[i] * scales[i % 3] - weights[i], -scales[i % 3] / 2, scales[i % 3] / 2);
        Assert.Equal([64, -127, 8, 127, -8, 127], values.Select(v => (int)v)); // the largest of a column maps to ±127
    }
}

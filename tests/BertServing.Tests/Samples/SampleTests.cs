using System.Globalization;
using BertServing.Tests.Support;

namespace BertServing.Tests.Samples;

/// <summary>The samples, run as users run them, against the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class SampleTests(ServerFixture fixture)
{
    static async Task<string> RunAsync(string sample, params string[] args)
    {
        var (code, stdout, stderr) = await DotnetApp.RunAsync(DotnetApp.Dll("samples", sample, sample), args);
        Assert.True(code == 0, stderr);
        return stdout;
    }

    string[] Ports => [fixture.Server.Port.ToString(CultureInfo.InvariantCulture), fixture.Server.PortOut.ToString(CultureInfo.InvariantCulture)];

    [Fact]
    public async Task The_blog_example_prints_the_shape_and_a_cosine_table_ranking_the_right_sentence_closer()
    {
        var output = await RunAsync("BlogExample", ["127.0.0.1", .. Ports]);
        Assert.Contains("uncased (all-MiniLM-L6-v2), shape (3, 384)", output, StringComparison.Ordinal);
        var first = output.Split('\n').First(l => l.StartsWith("First do it", StringComparison.Ordinal));
        var cosines = first["First do it".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        Assert.Equal(1.0, cosines[0], 3);
        Assert.True(cosines[1] > cosines[2], first);
    }

    [Fact]
    public async Task Semantic_search_puts_the_matching_line_first()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, ["The stock market fell sharply today.", "It has been raining heavily all afternoon.", "My cat sleeps on the sofa.", "The train to Paris was late again."]);
            var output = await RunAsync("SemanticSearch", [file, "127.0.0.1", .. Ports, "2", "--", "wet", "weather", "outside"]);
            var results = output.Split('\n').SkipWhile(l => !l.StartsWith("> ", StringComparison.Ordinal)).Skip(1).Where(l => l.Length > 0).ToArray();
            Assert.Equal(2, results.Length);
            Assert.Contains("raining heavily", results[0], StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}

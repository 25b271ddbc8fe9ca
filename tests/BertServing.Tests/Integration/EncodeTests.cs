using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Integration;

/// <summary>The built-in model served by the real server, encoded through the real client over loopback.</summary>
[Collection(ServerCollection.Name)]
public sealed class EncodeTests(ServerFixture fixture)
{
    // The three sentences of the blog post in shared/seed.
    static readonly string[] Blog =
    [
        "BERT was developed by Google and Nvidia has created an optimized version that uses TensorRT",
        "One drawback of BERT is that only short passages can be queried",
        "I attended a conference in Denver",
    ];

    [Fact]
    public void Blog_sentences_give_384_dimensions_and_the_related_pair_is_closest()
    {
        using var client = fixture.NewClient();
        var embeddings = client.Encode(Blog);

        Assert.Equal([3, 384], embeddings.Shape);
        var s01 = Similarity.Cosine(embeddings[0], embeddings[1]);
        var s02 = Similarity.Cosine(embeddings[0], embeddings[2]);
        var s12 = Similarity.Cosine(embeddings[1], embeddings[2]);
        Assert.True(s01 > s02, $"cos(0,1)={s01} should exceed cos(0,2)={s02}");
        Assert.True(s01 > s12, $"cos(0,1)={s01} should exceed cos(1,2)={s12}");
        Assert.All(embeddings.ToArrays(), row => Assert.Contains(row, v => v != 0f));
    }

    [Fact]
    public void Blog_pre_tokenized_words_are_looked_up_as_given()
    {
        // As in the blog: manually tokenized, lower-cased words; tensorrt is not in the vocabulary.
        using var client = fixture.NewClient();
        var sentences = Blog.Select(s => (IReadOnlyList<string>)s.ToLowerInvariant().Split(' ')).ToArray();
        var embeddings = client.Encode(sentences, isTokenized: true, showTokens: true);

        Assert.Equal([3, 384], embeddings.Shape);
        Assert.NotNull(embeddings.Tokens);
        Assert.Equal(["[CLS]", "i", "attended", "a", "conference", "in", "denver", "[SEP]"], embeddings.Tokens[2]);
        Assert.Equal("[UNK]", embeddings.Tokens[0][^2]); // "tensorrt"
        Assert.True(Similarity.Cosine(embeddings[0], embeddings[1]) > Similarity.Cosine(embeddings[0], embeddings[2]));
    }

    [Fact]
    public void Token_lists_with_isTokenized_false_are_tokenized_like_text()
    {
        using var client = fixture.NewClient();
        var asText = client.Encode([Blog[0]]);
        var asWords = client.Encode([Blog[0].Split(' ')], isTokenized: false, showTokens: true);

        AssertClose(asText[0], asWords[0], 1e-5f);
        Assert.Contains("##rt", asWords.Tokens![0]); // WordPiece split "tensorrt"
    }

    [Fact]
    public void Show_tokens_returns_the_model_input_tokens()
    {
        using var client = fixture.NewClient();
        var embeddings = client.Encode(["Hello, World!", "Café"], showTokens: true);

        Assert.Equal(["[CLS]", "hello", ",", "world", "!", "[SEP]"], embeddings.Tokens![0]);
        Assert.Equal(["[CLS]", "cafe", "[SEP]"], embeddings.Tokens[1]);
        Assert.Null(client.Encode(["Hello"]).Tokens);
    }

    [Fact]
    public void Batched_and_one_by_one_encodings_agree()
    {
        using var client = fixture.NewClient();
        var sentences = File.ReadLines(RepoPaths.TestData("sentences-4000.txt")).Take(64).ToArray();
        var batched = client.Encode(sentences);

        for (var i = 0; i < sentences.Length; i += 7)
            AssertClose(batched[i], client.Encode([sentences[i]])[0], 1e-5f);
    }

    [Fact]
    public async Task Embeddings_match_the_model_packages_own_encoder()
    {
        // Plain sentences only: the package's tokenizer mishandles accents, control characters, long words and
        // out-of-vocabulary acronyms ("VM" becomes [UNK] there).
        var sentences = File.ReadLines(RepoPaths.TestData("sentences-4000.txt"))
            .Where(s => s.All(c => c < 128 && !char.IsControl(c)) && !s.Split(' ').Any(w => w.Length > 20 || w.Count(char.IsUpper) > 1))
            .Take(200).Concat(Blog).ToArray();
        using var client = fixture.NewClient();
        var ours = await client.EncodeAsync(sentences);
        var reference = await ReferenceEncoder.EncodeAsync(sentences);

        Assert.Equal(sentences.Length, reference.Length);
        for (var i = 0; i < sentences.Length; i++)
        {
            var cosine = Similarity.Cosine(ours[i], reference[i]);
            Assert.True(cosine >= 0.9999f, $"sentence {i} '{sentences[i]}': cosine {cosine}");
        }
    }

    [Fact]
    public async Task Concurrent_callers_on_one_client_each_get_their_own_result()
    {
        using var client = fixture.NewClient();
        var expected = client.Encode(Blog);
        var tasks = Enumerable.Range(0, 24).Select(i => client.EncodeAsync([Blog[i % 3]])).ToArray();
        var results = await Task.WhenAll(tasks);

        for (var i = 0; i < results.Length; i++)
            AssertClose(expected[i % 3], results[i][0], 1e-5f);
    }

    [Fact]
    public async Task Several_clients_are_served_at_once()
    {
        var clients = Enumerable.Range(0, 4).Select(_ => fixture.NewClient()).ToArray();
        try
        {
            var results = await Task.WhenAll(clients.Select(c => c.EncodeAsync(Blog)));
            Assert.All(results, r => AssertClose(results[0][2], r[2], 1e-5f));
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public void Long_input_is_truncated_to_the_models_256_tokens()
    {
        using var client = fixture.NewClient();
        var info = client.GetServerInfo();
        var words = string.Join(' ', Enumerable.Repeat("word", 600));
        var embeddings = client.Encode([words], showTokens: true);

        Assert.Equal(256, info.MaxSeqLen);
        Assert.Equal("REDUCE_MEAN", info.PoolingStrategy);
        Assert.Equal(256, embeddings.Tokens![0].Count);
        Assert.Equal("[SEP]", embeddings.Tokens[0][^1]);
    }

    [Fact]
    public async Task A_cancelled_call_throws_and_the_client_keeps_working()
    {
        using var client = fixture.NewClient();
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.EncodeAsync(Blog, cancellationToken: cts.Token));
        Assert.Equal(3, (await client.EncodeAsync(Blog)).Count);
    }

    internal static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"index {i}: {expected[i]} vs {actual[i]}");
    }
}

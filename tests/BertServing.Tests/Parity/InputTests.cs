using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Parity;

/// <summary>Truncation, sentence pairs, pre-tokenized input, -no_special_token and -cased_tokenization.</summary>
public sealed class InputTests
{
    [Fact]
    public async Task Max_seq_len_8_truncates_on_the_right_and_shows_the_kept_tokens()
    {
        using var server = await FlaggedServer.StartAsync("-max_seq_len", "8");
        var result = server.Client.Encode(["one two three four five six seven eight nine ten", "one two three four five six"], showTokens: true);
        Assert.Equal(["[CLS]", "one", "two", "three", "four", "five", "six", "[SEP]"], result.Tokens![0]);
        Assert.Equal(result.Tokens[0], result.Tokens[1]); // the same 8 tokens, so the same embedding
        Assert.Equal(result[0].ToArray(), result[1].ToArray());
    }

    [Fact]
    public async Task Sentence_pairs_get_segment_ids_and_pair_truncation()
    {
        using var server = await FlaggedServer.StartAsync("-max_seq_len", "10");
        var result = server.Client.Encode(
            ["how old are you ||| i am fine", "how old are you i am fine", "a b c d e f g ||| h i"], showTokens: true);
        Assert.Equal(["[CLS]", "how", "old", "are", "you", "[SEP]", "i", "am", "fine", "[SEP]"], result.Tokens![0]);
        Assert.Equal(["[CLS]", "how", "old", "are", "you", "i", "am", "fine", "[SEP]"], result.Tokens[1]);
        Assert.True(Similarity.Cosine(result[0], result[1]) < 0.9999f);
        // 7 + 2 > 10 - 3: pops from the longer side until 7 tokens remain.
        Assert.Equal(["[CLS]", "a", "b", "c", "d", "e", "[SEP]", "h", "i", "[SEP]"], result.Tokens[2]);

        // Pre-tokenized pairs split at a '|||' token; the same tokens give the same vector.
        var tokenized = server.Client.Encode([["how", "old", "are", "you", "|||", "i", "am", "fine"]], isTokenized: true, showTokens: true);
        Assert.Equal(result.Tokens[0], tokenized.Tokens![0]);
        Numerics.AssertClose(result[0], tokenized[0], 1e-6f);
    }

    [Fact]
    public async Task Segment_ids_matter_a_pair_differs_from_the_same_tokens_in_one_segment()
    {
        using var server = await FlaggedServer.StartAsync();
        // "[SEP]" typed as a token is looked up as given, so only the segment ids differ between these two.
        var pair = server.Client.Encode([["how", "old", "|||", "fine"]], isTokenized: true, showTokens: true);
        var single = server.Client.Encode([["how", "old", "[SEP]", "fine"]], isTokenized: true, showTokens: true);
        Assert.Equal(pair.Tokens![0], single.Tokens![0]);
        Assert.True(Similarity.Cosine(pair[0], single[0]) < 0.99999f);
    }

    [Fact]
    public async Task No_special_token_feeds_pre_tokenized_sentences_bare()
    {
        var servers = await FlaggedServer.StartAllAsync(["-no_special_token", "-max_seq_len", "5"], []);
        try
        {
            var bare = servers[0].Client.Encode([["hello", "world", "zzzunknownzzz", "a", "b", "c"]], isTokenized: true, showTokens: true);
            Assert.Equal(["hello", "world", "[UNK]", "a", "b"], bare.Tokens![0]); // tokens[:max_seq_len], [UNK] for unknown
            // Raw text still gets [CLS]/[SEP]: bert-as-service applies the flag to pre-tokenized input only.
            var text = servers[0].Client.Encode(["hello world"], showTokens: true);
            Assert.Equal(["[CLS]", "hello", "world", "[SEP]"], text.Tokens![0]);
            var framed = servers[1].Client.Encode([["hello", "world"]], isTokenized: true);
            var unframed = servers[0].Client.Encode([["hello", "world"]], isTokenized: true);
            Assert.True(Similarity.Cosine(framed[0], unframed[0]) < 0.9999f);
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
        }
    }

    [Fact]
    public async Task Cased_tokenization_keeps_case_and_accents()
    {
        var servers = await FlaggedServer.StartAllAsync(["-cased_tokenization"], []);
        try
        {
            var cased = servers[0].Client.Encode(["Café Paris"], showTokens: true);
            var uncased = servers[1].Client.Encode(["Café Paris"], showTokens: true);
            Assert.Equal(["[CLS]", "cafe", "paris", "[SEP]"], uncased.Tokens![0]);
            Assert.NotEqual(uncased.Tokens[0], cased.Tokens![0]);
            Assert.DoesNotContain("cafe", cased.Tokens[0]);
            Assert.Contains("cased_tokenization = True", servers[0].Process.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            foreach (var server in servers) server.Dispose();
        }
    }
}

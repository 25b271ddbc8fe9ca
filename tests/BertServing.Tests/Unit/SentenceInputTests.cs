using BertServing.Server.Batching;
using BertServing.Tests.Tokenization;

namespace BertServing.Tests.Unit;

/// <summary>Sentence pairs and special tokens as the planner builds them.</summary>
public sealed class SentenceInputTests
{
    [Theory]
    [InlineData("a ||| b", true, "a", "b")]
    [InlineData("a ||| b ||| c", true, "a ||| b", "c")] // greedy: the last separator splits, as Python's regex does
    [InlineData("a|||b", false, "", "")] // the spaces are part of the separator
    [InlineData("a |||\nb", false, "", "")] // one line only
    public void Pairs_split_as_bert_as_service_splits_them(string text, bool isPair, string first, string second)
    {
        Assert.Equal(isPair, SentencePair.TrySplit(text, out var a, out var b));
        if (isPair)
        {
            Assert.Equal(first, a);
            Assert.Equal(second, b);
        }
    }

    [Fact]
    public void A_pair_has_two_segments_and_truncates_the_longer_side()
    {
        var planner = new BatchPlanner(TestVocab.Uncased, tokenLimit: 8, maxBatchSize: 8, maxBatchTokens: 64, dimension: 4);
        var job = new EncodeJob(1, _ => { }) { Texts = ["a b c d e ||| a b"], ShowTokens = true };
        var sentence = Assert.Single(Assert.Single(planner.Plan([job])).Sentences);
        Assert.Equal(["[CLS]", "a", "b", "c", "[SEP]", "a", "b", "[SEP]"], job.Tokens![0]);
        Assert.Equal(5, sentence.SecondSegment);
        Assert.Equal(8, sentence.Ids.Length);
    }

    [Fact]
    public void No_special_token_applies_to_pre_tokenized_single_sentences_only()
    {
        var planner = new BatchPlanner(TestVocab.Uncased, tokenLimit: 3, maxBatchSize: 8, maxBatchTokens: 64, dimension: 4, noSpecialToken: true);
        var job = new EncodeJob(2, _ => { }) { Tokenized = [["a", "b", "c", "d"], ["a", "|||", "b"]], ShowTokens = true };
        planner.Plan([job]);
        Assert.Equal(["a", "b", "c"], job.Tokens![0]);
        Assert.Equal("[CLS]", job.Tokens[1][0]);
    }

    [Fact]
    public void Token_rows_take_the_longest_sentence_of_the_request_unless_fixed()
    {
        var dynamic = new BatchPlanner(TestVocab.Uncased, tokenLimit: 32, maxBatchSize: 8, maxBatchTokens: 64, dimension: 4, tokenRows: true);
        var job = new EncodeJob(2, _ => { }) { Texts = ["a", "a b c"] };
        dynamic.Plan([job]);
        Assert.Equal([2, 5, 4], job.Shape);
        Assert.Equal(2 * 5 * 4 * sizeof(float), job.Output.Length);

        var fixedRows = new BatchPlanner(TestVocab.Uncased, tokenLimit: 32, maxBatchSize: 8, maxBatchTokens: 64, dimension: 4, tokenRows: true, fixedTokenRows: 32);
        var fixedJob = new EncodeJob(1, _ => { }) { Texts = ["a"] };
        fixedRows.Plan([fixedJob]);
        Assert.Equal([1, 32, 4], fixedJob.Shape);
    }
}

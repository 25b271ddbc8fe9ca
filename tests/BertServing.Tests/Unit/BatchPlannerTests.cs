using BertServing.Server.Batching;
using BertServing.Tests.Tokenization;

namespace BertServing.Tests.Unit;

public sealed class BatchPlannerTests
{
    static EncodeJob Job(params string[] texts) => new(texts.Length, _ => { }) { Texts = texts };

    [Fact]
    public void Sorts_by_length_and_respects_the_sentence_cap()
    {
        var planner = new BatchPlanner(TestVocab.Uncased, tokenLimit: 64, maxBatchSize: 2, maxBatchTokens: 4096, dimension: 4);
        var job = Job("a b c d e f", "a", "a b c", "a b");
        var batches = planner.Plan([job]);

        Assert.Equal([2, 2], batches.Select(b => b.Sentences.Length));
        var lengths = batches.SelectMany(b => b.Sentences.Select(s => s.Ids.Length)).ToArray();
        Assert.Equal([3, 4, 5, 8], lengths); // words + [CLS] + [SEP], ascending
        Assert.All(batches, b => Assert.Equal(b.Sentences.Max(s => s.Ids.Length), b.SequenceLength));
        Assert.Equal(4 * 4 * sizeof(float), job.Output.Length);
    }

    [Fact]
    public void Caps_padded_tokens_per_batch()
    {
        // Budget 16 padded tokens: sentences of 8 tokens go two at a time.
        var planner = new BatchPlanner(TestVocab.Uncased, tokenLimit: 16, maxBatchSize: 100, maxBatchTokens: 16, dimension: 4);
        var batches = planner.Plan([Job([.. Enumerable.Repeat("a b c d e f", 5)])]);

        Assert.Equal([2, 2, 1], batches.Select(b => b.Sentences.Length));
        Assert.All(batches, b => Assert.True(b.Sentences.Length * b.SequenceLength <= 16));
    }

    [Fact]
    public void Truncates_on_the_right_and_frames_with_cls_and_sep()
    {
        var planner = new BatchPlanner(TestVocab.Uncased, tokenLimit: 5, maxBatchSize: 8, maxBatchTokens: 64, dimension: 4);
        var job = new EncodeJob(1, _ => { }) { Texts = ["one two three four five"], ShowTokens = true };
        var sentence = Assert.Single(Assert.Single(planner.Plan([job])).Sentences);

        Assert.Equal(5, sentence.Ids.Length);
        Assert.Equal(["[CLS]", "one", "two", "three", "[SEP]"], job.Tokens![0]);
        Assert.Equal(TestVocab.BuiltIn.ClsId, sentence.Ids[0]);
        Assert.Equal(TestVocab.BuiltIn.SepId, sentence.Ids[^1]);
    }

    [Fact]
    public void Merges_several_jobs_into_shared_batches_and_finishes_each_once()
    {
        var finished = new List<EncodeJob>();
        var planner = new BatchPlanner(TestVocab.Uncased, tokenLimit: 32, maxBatchSize: 8, maxBatchTokens: 4096, dimension: 4);
        var a = new EncodeJob(2, finished.Add) { Texts = ["x", "y z"] };
        var b = new EncodeJob(1, finished.Add) { Texts = ["w"] };
        var batch = Assert.Single(planner.Plan([a, b]));

        Assert.Equal(3, batch.Sentences.Length);
        a.RowsDone(1);
        Assert.Empty(finished);
        a.RowsDone(1);
        b.RowsDone(1);
        b.Fail(BertServing.Client.Protocol.ErrorCode.Internal, "late failure is ignored");
        Assert.Equal([a, b], finished);
        Assert.Equal(BertServing.Client.Protocol.ErrorCode.None, b.Error);
    }
}

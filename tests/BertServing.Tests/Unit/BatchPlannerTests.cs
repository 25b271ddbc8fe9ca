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
        Assert.Equal([8, 5, 4, 3], lengths); // words + [CLS] + [SEP], longest first
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

    [Fact]
    public void Sentences_of_similar_length_from_different_jobs_share_a_batch()
    {
        // Budget 24 tokens: each job alone would pad a short sentence to a long one's length twice.
        var planner = new BatchPlanner(TestVocab.Uncased, tokenLimit: 12, maxBatchSize: 8, maxBatchTokens: 24, dimension: 4);
        var a = Job("a b c d e f g h", "a");
        var b = Job("a", "a b c d e f g h");
        planner.Add(a);
        planner.Add(b);

        var first = planner.NextBatch()!;
        var second = planner.NextBatch()!;
        Assert.Null(planner.NextBatch());
        Assert.Equal([10, 10], first.Sentences.Select(s => s.Ids.Length));
        Assert.Equal([3, 3], second.Sentences.Select(s => s.Ids.Length));
        Assert.Equal([a, b], first.Sentences.Select(s => s.Job));
    }

    [Fact]
    public void A_small_job_goes_into_the_next_batch_ahead_of_a_waiting_big_one()
    {
        var planner = new BatchPlanner(TestVocab.Uncased, tokenLimit: 12, maxBatchSize: 2, maxBatchTokens: 1000, dimension: 4, priorityBatchSize: 1);
        var big = Job([.. Enumerable.Repeat("a b c", 6)]);
        var small = Job("a b c d e f g h");
        planner.Add(big);
        Assert.Equal(2, planner.NextBatch()!.Sentences.Length);
        planner.Add(small);

        var next = planner.NextBatch()!;
        Assert.Equal(small, next.Sentences[0].Job);
        Assert.Equal(10, next.SequenceLength);
        Assert.Equal(2, next.Sentences.Length); // topped up with a shorter sentence of the big job
        Assert.Equal(3, planner.Waiting);
    }

    [Fact]
    public void The_oldest_job_is_in_every_batch_until_it_is_done()
    {
        var planner = new BatchPlanner(TestVocab.Uncased, tokenLimit: 12, maxBatchSize: 2, maxBatchTokens: 1000, dimension: 4);
        var old = Job("a b c d e f g h", "a", "a b");
        planner.Add(old);
        planner.Add(Job([.. Enumerable.Repeat("a b c d e f g h", 10)]));

        // Its longest sentence sets the length; the newer job's equally long ones may fill the batch, never displace it.
        var first = planner.NextBatch()!;
        Assert.Equal([old, first.Sentences[1].Job], first.Sentences.Select(s => s.Job));
        Assert.NotEqual(old, first.Sentences[1].Job);
        // Then its two short ones, though ten long sentences of the newer job arrived before they could run.
        var second = planner.NextBatch()!;
        Assert.All(second.Sentences, s => Assert.Equal(old, s.Job));
        Assert.Equal(4, second.SequenceLength);
        Assert.DoesNotContain(planner.NextBatch()!.Sentences, s => s.Job == old);
    }

    [Fact]
    public void Sentences_of_an_expired_or_failed_job_are_not_batched()
    {
        var planner = new BatchPlanner(TestVocab.Uncased, tokenLimit: 12, maxBatchSize: 8, maxBatchTokens: 1000, dimension: 4);
        var expired = new EncodeJob(2, _ => { }) { Texts = ["a", "b"], Deadline = Environment.TickCount64 - 1 };
        var failed = Job("a", "b");
        var live = Job("c");
        planner.Add(expired);
        planner.Add(failed);
        planner.Add(live);
        failed.Fail(BertServing.Client.Protocol.ErrorCode.Internal, "failed elsewhere");

        var batch = Assert.Single(planner.Plan([]));
        Assert.Equal([live], batch.Sentences.Select(s => s.Job));
        Assert.Equal(BertServing.Client.Protocol.ErrorCode.Expired, expired.Error);
        Assert.Equal(0, planner.Waiting);
    }
}

using System.Collections.Concurrent;
using BertServing.Client.Protocol;
using BertServing.Server.Batching;
using BertServing.Tests.Tokenization;

namespace BertServing.Tests.Batching;

/// <summary>The planner under a random mix of jobs, with stand-in workers: every accepted job finishes exactly once.</summary>
public sealed class PipelineStressTests
{
    const int TokenLimit = 24;
    const int MaxBatchSize = 16;
    const int MaxBatchTokens = 128;

    [Fact]
    public async Task Every_job_of_a_random_mix_finishes_once_in_batches_within_the_limits()
    {
        var random = new Random(1234);
        var words = new[] { "a", "b c", "d e f", "g h i j k", "l m n o p q r s t" };
        var planner = new BatchPlanner(TestVocab.Uncased, TokenLimit, MaxBatchSize, MaxBatchTokens, dimension: 2, priorityBatchSize: 4);
        var pipeline = new EncodingPipeline(planner, readyBatches: 2, maxQueuedRequests: 100_000, maxWaitingSentences: 300, priorityBatchSize: 4);
        pipeline.Start();

        var finishes = new ConcurrentDictionary<EncodeJob, int>();
        var violations = new ConcurrentQueue<string>();
        var workers = Enumerable.Range(0, 2).Select(_ => Task.Run(async () =>
        {
            await foreach (var batch in pipeline.Batches.ReadAllAsync())
            {
                if (batch.Sentences.Length > MaxBatchSize || batch.Sentences.Length * batch.SequenceLength > MaxBatchTokens
                    || batch.Sentences.Any(s => s.Ids.Length > batch.SequenceLength))
                    violations.Enqueue($"{batch.Sentences.Length} sentences padded to {batch.SequenceLength}");
                foreach (var group in batch.Sentences.GroupBy(s => s.Job))
                    group.Key.RowsDone(group.Count());
            }
        })).ToArray();

        var jobs = new List<EncodeJob>();
        for (var i = 0; i < 3000; i++)
        {
            // Mostly small and medium jobs, some big ones, a few whose client has already given up.
            var count = random.Next(10) switch { < 5 => random.Next(1, 5), < 9 => random.Next(5, 60), _ => random.Next(60, 400) };
            var texts = Enumerable.Range(0, count).Select(_ => string.Join(' ', Enumerable.Range(0, random.Next(1, 4)).Select(_ => words[random.Next(words.Length)]))).ToArray();
            // 1 in 20 already given up on, 1 in 20 giving up within a few milliseconds, likely while its sentences wait.
            var deadline = random.Next(20) switch { 0 => Environment.TickCount64 - 1, 1 => Environment.TickCount64 + random.Next(1, 5), _ => 0 };
            var job = new EncodeJob(count, j => finishes.AddOrUpdate(j, 1, (_, n) => n + 1)) { Texts = texts, Deadline = deadline };
            jobs.Add(job);
            Assert.True(pipeline.TrySubmit(job));
            if (i % 100 == 0)
                await Task.Delay(1); // let batches interleave with arrivals
        }
        await pipeline.CompleteAsync().WaitAsync(TimeSpan.FromSeconds(60));
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Empty(violations);
        Assert.All(jobs, job => Assert.Equal(1, finishes.GetValueOrDefault(job)));
        Assert.All(jobs, job => Assert.Contains(job.Error, (ErrorCode[])(job.Deadline == 0 ? [ErrorCode.None] : [ErrorCode.None, ErrorCode.Expired])));
        Assert.Contains(jobs, job => job.Error == ErrorCode.Expired);
        Assert.Equal(0, planner.Waiting);
    }

    [Fact]
    public void The_pool_keeps_its_books_through_random_adds_takes_failures_and_expiries()
    {
        var random = new Random(42);
        var words = new[] { "a", "b c", "d e f", "g h i j k" };
        var planner = new BatchPlanner(TestVocab.Uncased, TokenLimit, MaxBatchSize, MaxBatchTokens, dimension: 2, priorityBatchSize: 4);
        var live = new List<EncodeJob>();
        for (var step = 0; step < 20_000; step++)
        {
            var action = random.Next(10);
            if (action < 4)
            {
                var count = random.Next(3) == 0 ? random.Next(1, 5) : random.Next(5, 40);
                var texts = Enumerable.Range(0, count).Select(_ => string.Join(' ', Enumerable.Range(0, random.Next(1, 4)).Select(_ => words[random.Next(words.Length)]))).ToArray();
                var job = new EncodeJob(count, _ => { }) { Texts = texts, Deadline = random.Next(10) == 0 ? Environment.TickCount64 + random.Next(0, 3) : 0 };
                planner.Add(job);
                live.Add(job);
            }
            else if (action < 9)
            {
                if (planner.NextBatch() is { } batch)
                    foreach (var group in batch.Sentences.GroupBy(s => s.Job))
                        group.Key.RowsDone(group.Count());
            }
            else if (live.Count > 0)
            {
                live[random.Next(live.Count)].Fail(ErrorCode.Internal, "failed elsewhere");
            }
            Assert.Null(planner.CheckConsistency());
        }
        while (planner.NextBatch() is { } batch)
            foreach (var group in batch.Sentences.GroupBy(s => s.Job))
                group.Key.RowsDone(group.Count());
        Assert.Null(planner.CheckConsistency());
        Assert.Equal(0, planner.Waiting);
        Assert.All(live, job => Assert.True(job.IsFinished));
    }
}

using System.Threading.Channels;
using BertServing.Client.Protocol;

namespace BertServing.Server.Batching;

/// <summary>
/// The queue between the fronts and the workers. Fronts submit jobs; one planner task tokenizes whatever has
/// queued up since its last round (so concurrent clients share batches) and hands batches to the workers through
/// a channel only <c>num_worker</c> deep: one batch waits ready while each worker runs one.
/// </summary>
public sealed class EncodingPipeline
{
    readonly Channel<EncodeJob> _jobs;
    readonly Channel<InferenceBatch> _batches;
    readonly BatchPlanner _planner;
    readonly int _maxSentencesPerRound;
    Task _planning = Task.CompletedTask;

    /// <summary>Creates the pipeline; <see cref="Start"/> begins planning.</summary>
    public EncodingPipeline(BatchPlanner planner, int workers, int maxQueuedRequests, int maxSentencesPerRound)
    {
        _planner = planner;
        _maxSentencesPerRound = maxSentencesPerRound;
        _jobs = Channel.CreateBounded<EncodeJob>(new BoundedChannelOptions(maxQueuedRequests)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails fast instead of dropping anything
        });
        _batches = Channel.CreateBounded<InferenceBatch>(new BoundedChannelOptions(workers) { SingleWriter = true });
    }

    /// <summary>Batches for the workers; completes after <see cref="CompleteAsync"/> once all work is planned.</summary>
    public ChannelReader<InferenceBatch> Batches => _batches.Reader;

    /// <summary>Queues a job; false when the queue is full or closed (the caller answers "busy").</summary>
    public bool TrySubmit(EncodeJob job) => _jobs.Writer.TryWrite(job);

    /// <summary>Starts the planner.</summary>
    public void Start() => _planning = Task.Run(PlanLoopAsync);

    /// <summary>Stops accepting jobs and waits until everything accepted has been handed to the workers.</summary>
    public Task CompleteAsync()
    {
        _jobs.Writer.TryComplete();
        return _planning;
    }

    async Task PlanLoopAsync()
    {
        var round = new List<EncodeJob>();
        try
        {
            while (await _jobs.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                round.Clear();
                var sentences = 0;
                while (sentences < _maxSentencesPerRound && _jobs.Reader.TryRead(out var job))
                {
                    round.Add(job);
                    sentences += job.Count;
                }
                foreach (var batch in _planner.Plan(round))
                    await _batches.Writer.WriteAsync(batch).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nothing accepted may be lost silently: refuse new jobs, fail this round's and everything still queued.
            _jobs.Writer.TryComplete(e);
            foreach (var job in round)
                job.Fail(ErrorCode.Internal, "The batch planner failed: " + e.Message);
            while (_jobs.Reader.TryRead(out var job))
                job.Fail(ErrorCode.Internal, "The batch planner failed: " + e.Message);
            throw;
        }
        finally
        {
            _batches.Writer.TryComplete();
        }
    }
}

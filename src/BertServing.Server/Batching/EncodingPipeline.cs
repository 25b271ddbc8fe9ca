using System.Threading.Channels;
using BertServing.Client.Protocol;

namespace BertServing.Server.Batching;

/// <summary>
/// The queue between the fronts and the workers. Fronts submit jobs; one planner task tokenizes whatever has
/// queued up since its last round (so concurrent clients share batches) and hands batches to the workers through
/// a short channel (one batch ready per worker, or <c>-prefetch_size</c> on GPU). Small jobs (at most
/// <c>-priority_batch_size</c> sentences) have their own queue, checked before every batch of a big job is handed
/// on, so they never wait behind one, as bert-as-service's high-priority socket does.
/// </summary>
public sealed class EncodingPipeline
{
    readonly Channel<EncodeJob> _jobs;
    readonly Channel<EncodeJob> _priorityJobs;
    readonly Channel<InferenceBatch> _batches;
    readonly BatchPlanner _planner;
    readonly int _maxSentencesPerRound;
    readonly int _priorityBatchSize;
    Task _planning = Task.CompletedTask;
    Task<bool>? _priorityWait;
    Task<bool>? _normalWait;

    /// <summary>Creates the pipeline; <see cref="Start"/> begins planning.</summary>
    /// <param name="planner">Tokenizes and slices jobs.</param>
    /// <param name="readyBatches">Batches prepared ahead of the workers.</param>
    /// <param name="maxQueuedRequests">Jobs waiting, per queue, before <see cref="TrySubmit"/> refuses.</param>
    /// <param name="maxSentencesPerRound">Sentences the planner takes in one round.</param>
    /// <param name="priorityBatchSize">Jobs this small or smaller go ahead of bigger ones.</param>
    public EncodingPipeline(BatchPlanner planner, int readyBatches, int maxQueuedRequests, int maxSentencesPerRound, int priorityBatchSize = 0)
    {
        _planner = planner;
        _maxSentencesPerRound = maxSentencesPerRound;
        _priorityBatchSize = priorityBatchSize;
        var queue = new BoundedChannelOptions(maxQueuedRequests)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails fast instead of dropping anything
        };
        _jobs = Channel.CreateBounded<EncodeJob>(queue);
        _priorityJobs = Channel.CreateBounded<EncodeJob>(queue);
        _batches = Channel.CreateBounded<InferenceBatch>(new BoundedChannelOptions(Math.Max(1, readyBatches)) { SingleWriter = true });
    }

    /// <summary>Batches for the workers; completes after <see cref="CompleteAsync"/> once all work is planned.</summary>
    public ChannelReader<InferenceBatch> Batches => _batches.Reader;

    /// <summary>Queues a job; false when the queue is full or closed (the caller answers "busy").</summary>
    public bool TrySubmit(EncodeJob job) =>
        (job.Count <= _priorityBatchSize ? _priorityJobs : _jobs).Writer.TryWrite(job);

    /// <summary>Starts the planner.</summary>
    public void Start() => _planning = Task.Run(PlanLoopAsync);

    /// <summary>Stops accepting jobs and waits until everything accepted has been handed to the workers.</summary>
    public Task CompleteAsync()
    {
        _jobs.Writer.TryComplete();
        _priorityJobs.Writer.TryComplete();
        return _planning;
    }

    async Task PlanLoopAsync()
    {
        var round = new List<EncodeJob>();
        var pending = new Queue<InferenceBatch>();
        try
        {
            while (true)
            {
                if (TakeRound(_priorityJobs.Reader, round))
                {
                    // Small jobs are planned and handed on before anything still pending from a big job.
                    foreach (var batch in _planner.Plan(round))
                        await _batches.Writer.WriteAsync(batch).ConfigureAwait(false);
                    round.Clear();
                    continue;
                }
                if (pending.TryDequeue(out var next))
                {
                    await _batches.Writer.WriteAsync(next).ConfigureAwait(false);
                    continue;
                }
                if (TakeRound(_jobs.Reader, round))
                {
                    foreach (var batch in _planner.Plan(round))
                        pending.Enqueue(batch);
                    round.Clear();
                    continue;
                }
                if (!await WaitForJobsAsync().ConfigureAwait(false))
                    return;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Nothing accepted may be lost silently: refuse new jobs, fail this round's, the planned and the queued ones.
            var message = "The batch planner failed: " + e.Message;
            _jobs.Writer.TryComplete(e);
            _priorityJobs.Writer.TryComplete(e);
            foreach (var job in round.Concat(pending.SelectMany(b => b.Sentences.Select(s => s.Job))).Distinct())
                job.Fail(ErrorCode.Internal, message);
            foreach (var reader in new[] { _priorityJobs.Reader, _jobs.Reader })
                while (reader.TryRead(out var job))
                    job.Fail(ErrorCode.Internal, message);
            throw;
        }
        finally
        {
            _batches.Writer.TryComplete();
        }
    }

    bool TakeRound(ChannelReader<EncodeJob> reader, List<EncodeJob> round)
    {
        var sentences = 0;
        while (sentences < _maxSentencesPerRound && reader.TryRead(out var job))
        {
            round.Add(job);
            sentences += job.Count;
        }
        return round.Count > 0;
    }

    /// <summary>Waits until either queue has a job; false once both are completed and empty.</summary>
    async Task<bool> WaitForJobsAsync()
    {
        // A wait that did not fire last time is reused: a fresh one per idle spell would pile up on a quiet queue.
        if (_priorityWait is null || _priorityWait.IsCompleted) _priorityWait = _priorityJobs.Reader.WaitToReadAsync().AsTask();
        if (_normalWait is null || _normalWait.IsCompleted) _normalWait = _jobs.Reader.WaitToReadAsync().AsTask();
        await Task.WhenAny(_priorityWait, _normalWait).ConfigureAwait(false);
        if ((_priorityWait.IsCompletedSuccessfully && _priorityWait.Result) || (_normalWait.IsCompletedSuccessfully && _normalWait.Result))
            return true;
        // One queue is done; the other may still hold work.
        return await _priorityWait.ConfigureAwait(false) | await _normalWait.ConfigureAwait(false);
    }
}

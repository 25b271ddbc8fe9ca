using System.Threading.Channels;
using BertServing.Client.Protocol;

namespace BertServing.Server.Batching;

/// <summary>
/// The queue between the fronts and the workers. Fronts submit jobs; one planner task tokenizes each as it arrives
/// (off the inference threads) into the planner's pool, and forms a batch only when the workers have room for one
/// (one batch ready per worker, or <c>-prefetch_size</c> on GPU), so each batch is cut from everything that has
/// arrived by then, across requests and clients. An idle worker gets a batch at once: there is no fixed wait.
/// Small jobs (at most <c>-priority_batch_size</c> sentences) have their own queue, so a flood of big jobs never
/// holds them back, as bert-as-service's high-priority socket does.
/// </summary>
public sealed class EncodingPipeline
{
    readonly Channel<EncodeJob> _jobs;
    readonly Channel<EncodeJob> _priorityJobs;
    readonly Channel<InferenceBatch> _batches;
    readonly BatchPlanner _planner;
    readonly int _readyBatches;
    readonly int _maxWaitingSentences;
    readonly int _priorityBatchSize;
    readonly int _maxQueuedSentences;
    int _queuedSentences;
    Task _planning = Task.CompletedTask;
    Task<bool>? _priorityWait;
    Task<bool>? _normalWait;
    Task<bool>? _roomWait;

    /// <summary>Creates the pipeline; <see cref="Start"/> begins planning.</summary>
    /// <param name="planner">Tokenizes jobs and cuts batches.</param>
    /// <param name="readyBatches">Batches prepared ahead of the workers.</param>
    /// <param name="maxQueuedRequests">Jobs waiting, per queue, before <see cref="TrySubmit"/> refuses.</param>
    /// <param name="maxWaitingSentences">Tokenized sentences the planner holds before it leaves big jobs queued.</param>
    /// <param name="priorityBatchSize">Jobs this small or smaller go ahead of bigger ones.</param>
    /// <param name="maxQueuedSentences">Sentences in queued jobs before <see cref="TrySubmit"/> refuses.</param>
    public EncodingPipeline(BatchPlanner planner, int readyBatches, int maxQueuedRequests, int maxWaitingSentences, int priorityBatchSize = 0, int maxQueuedSentences = int.MaxValue)
    {
        _maxQueuedSentences = maxQueuedSentences;
        _planner = planner;
        _readyBatches = Math.Max(1, readyBatches);
        _maxWaitingSentences = maxWaitingSentences;
        _priorityBatchSize = priorityBatchSize;
        var queue = new BoundedChannelOptions(maxQueuedRequests)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails fast instead of dropping anything
        };
        _jobs = Channel.CreateBounded<EncodeJob>(queue);
        _priorityJobs = Channel.CreateBounded<EncodeJob>(queue);
        _batches = Channel.CreateBounded<InferenceBatch>(new BoundedChannelOptions(_readyBatches) { SingleWriter = true });
    }

    /// <summary>Batches for the workers; completes after <see cref="CompleteAsync"/> once all work is planned.</summary>
    public ChannelReader<InferenceBatch> Batches => _batches.Reader;

    /// <summary>Tokenized sentences waiting for a batch (read from any thread: a gauge, not an exact count).</summary>
    public int WaitingSentences => _planner.Waiting;

    /// <summary>Accepted jobs not yet tokenized.</summary>
    public int QueuedRequests => _jobs.Reader.Count + _priorityJobs.Reader.Count;

    /// <summary>Sentences in accepted jobs not yet tokenized (bounded by <c>-max_queued_sentences</c>).</summary>
    public int QueuedSentences => Volatile.Read(ref _queuedSentences);

    /// <summary>Why the planner stopped for good, or null while it runs: then nothing more can be encoded.</summary>
    public string? Failure => Volatile.Read(ref _failure);

    string? _failure;

    /// <summary>What to answer a job <see cref="TrySubmit"/> refused: busy while the planner runs, else the failure.</summary>
    public (ErrorCode Code, string Message) Refusal => Failure is { } failure
        ? (ErrorCode.Internal, $"The server can no longer encode ({failure}); it needs a restart.")
        : (ErrorCode.Busy, "The server's queue is full; retry later.");

    /// <summary>Queues a job; false when a queue is full or closed (the caller answers <see cref="Refusal"/>).</summary>
    public bool TrySubmit(EncodeJob job)
    {
        // Counted before the write, so concurrent fronts can never overshoot the bound together.
        if (Interlocked.Add(ref _queuedSentences, job.Count) > _maxQueuedSentences
            || !(job.Count <= _priorityBatchSize ? _priorityJobs : _jobs).Writer.TryWrite(job))
        {
            Interlocked.Add(ref _queuedSentences, -job.Count);
            return false;
        }
        return true;
    }

    bool TryTake(ChannelReader<EncodeJob> reader, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out EncodeJob? job)
    {
        if (!reader.TryRead(out job))
            return false;
        Interlocked.Add(ref _queuedSentences, -job.Count);
        return true;
    }

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
        try
        {
            while (true)
            {
                // Tokenize what has arrived first, so the next batch is cut from all of it.
                var took = false;
                while (TryTake(_priorityJobs.Reader, out var small))
                {
                    _planner.Add(small);
                    took = true;
                }
                while (_planner.Waiting < _maxWaitingSentences && TryTake(_jobs.Reader, out var job))
                {
                    _planner.Add(job);
                    took = true;
                }
                // The planner is the only writer, so room seen here is still there when it writes.
                if (_planner.Waiting > 0 && _batches.Reader.Count < _readyBatches)
                {
                    // Null when every waiting sentence was abandoned (and so dropped); anything left then is a bug
                    // that must fail loudly rather than spin.
                    if (_planner.NextBatch() is { } batch)
                    {
                        if (!_batches.Writer.TryWrite(batch))
                            await _batches.Writer.WriteAsync(batch).ConfigureAwait(false);
                    }
                    else if (_planner.Waiting > 0)
                    {
                        throw new InvalidOperationException($"{_planner.Waiting} sentences wait but no batch can be cut from them.");
                    }
                    continue;
                }
                if (took)
                    continue;
                if (!await WaitForWorkAsync().ConfigureAwait(false))
                    break;
            }
            // Only reached with the queues completed and, unless the pool's accounting is broken, nothing waiting.
            foreach (var job in _planner.WaitingJobs.ToList())
                job.Fail(ErrorCode.Internal, "The batch planner stopped with this request unplanned.");
        }
        catch (Exception e)
        {
            // Nothing accepted may be lost silently, whatever the failure (even out of memory): refuse new jobs, fail
            // the waiting and the queued ones. Without this the workers stop while the fronts still accept.
            var message = "The batch planner failed: " + e.Message;
            Volatile.Write(ref _failure, message);
            _jobs.Writer.TryComplete(e);
            _priorityJobs.Writer.TryComplete(e);
            foreach (var job in _planner.WaitingJobs.ToList())
                job.Fail(ErrorCode.Internal, message);
            foreach (var reader in new[] { _priorityJobs.Reader, _jobs.Reader })
                while (TryTake(reader, out var job))
                    job.Fail(ErrorCode.Internal, message);
            throw;
        }
        finally
        {
            _batches.Writer.TryComplete();
        }
    }

    /// <summary>
    /// Waits until a job arrives that can be taken or, with sentences waiting, until a worker has room; false once
    /// there is nothing left to wait for: both queues completed and nothing to hand on.
    /// </summary>
    async Task<bool> WaitForWorkAsync()
    {
        // A wait that did not fire last time is reused: a fresh one per idle spell would pile up on a quiet queue.
        // A queue that cannot be taken from (completed, or big jobs while the pool is full) is not waited on, or an
        // always-ready wait would spin this loop.
        var waits = new List<Task>(3);
        if (!_priorityJobs.Reader.Completion.IsCompleted)
        {
            if (_priorityWait is null || _priorityWait.IsCompleted) _priorityWait = _priorityJobs.Reader.WaitToReadAsync().AsTask();
            waits.Add(_priorityWait);
        }
        if (!_jobs.Reader.Completion.IsCompleted && _planner.Waiting < _maxWaitingSentences)
        {
            if (_normalWait is null || _normalWait.IsCompleted) _normalWait = _jobs.Reader.WaitToReadAsync().AsTask();
            waits.Add(_normalWait);
        }
        // Room is waited for whenever sentences wait: a worker may have made room since the loop looked.
        if (_planner.Waiting > 0)
        {
            if (_roomWait is null || _roomWait.IsCompleted) _roomWait = _batches.Writer.WaitToWriteAsync().AsTask();
            waits.Add(_roomWait);
        }
        if (waits.Count == 0)
            return false;
        await Task.WhenAny(waits).ConfigureAwait(false);
        return true;
    }
}

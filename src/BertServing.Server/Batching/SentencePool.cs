namespace BertServing.Server.Batching;

/// <summary>
/// Tokenized sentences waiting for a worker, from every job and client, kept in one FIFO queue per token length.
/// A batch is formed only when a worker has room for it, from everything that has arrived by then: the oldest job
/// (a small job first, when one waits) picks the padded length L, its longest waiting sentence, and the batch takes
/// the sentences of length L, then L-1 and so on, oldest first, up to the token budget. So batches pad little
/// whatever mix of clients fed them, the oldest job always moves, and a small job never waits behind a big one.
/// </summary>
/// <remarks>Not thread-safe: the planner thread owns it.</remarks>
public sealed class SentencePool
{
    // [length][0] small jobs' sentences, [length][1] the others': FIFO by arrival in each.
    readonly Queue<TokenizedSentence>[][] _byLength;
    readonly Queue<EncodeJob> _smallJobs = new();
    readonly Queue<EncodeJob> _jobs = new();
    readonly int _smallJobSize;
    readonly int _maxBatchSize;
    readonly int _maxBatchTokens;
    readonly List<TokenizedSentence> _batch = [];

    /// <summary>Creates an empty pool.</summary>
    /// <param name="tokenLimit">Longest sentence, in tokens.</param>
    /// <param name="maxBatchSize">Most sentences per batch.</param>
    /// <param name="maxBatchTokens">Most padded tokens (longest × count) per batch; at least <paramref name="tokenLimit"/>.</param>
    /// <param name="smallJobSize">Jobs of at most this many sentences go ahead of bigger ones (<c>-priority_batch_size</c>).</param>
    public SentencePool(int tokenLimit, int maxBatchSize, int maxBatchTokens, int smallJobSize)
    {
        _byLength = new Queue<TokenizedSentence>[tokenLimit + 1][];
        for (var i = 0; i < _byLength.Length; i++)
            _byLength[i] = [new(), new()];
        _maxBatchSize = maxBatchSize;
        _maxBatchTokens = Math.Max(maxBatchTokens, tokenLimit);
        _smallJobSize = smallJobSize;
    }

    /// <summary>Sentences waiting.</summary>
    public int Count { get; private set; }

    /// <summary>Adds a job's tokenized sentences.</summary>
    public void Add(EncodeJob job, IReadOnlyList<TokenizedSentence> sentences)
    {
        // Checked before anything is queued: a half-added job would break the queues' order.
        foreach (var sentence in sentences)
            if (sentence.Ids.Length is 0 || sentence.Ids.Length >= _byLength.Length)
                throw new ArgumentException($"A sentence of {sentence.Ids.Length} tokens cannot be batched (1 to {_byLength.Length - 1}).", nameof(sentences));
        if (sentences.Count == 0)
            return;
        var small = job.Count <= _smallJobSize;
        var queue = small ? 0 : 1;
        foreach (var sentence in sentences)
            _byLength[sentence.Ids.Length][queue].Enqueue(sentence);
        job.Unbatched += sentences.Count;
        Count += sentences.Count;
        (small ? _smallJobs : _jobs).Enqueue(job);
    }

    /// <summary>The next batch, or null when nothing live is waiting.</summary>
    public InferenceBatch? TakeBatch()
    {
        var now = Environment.TickCount64;
        _batch.Clear();
        while (_batch.Count == 0)
        {
            var length = AnchorLength(now);
            if (length == 0)
                return null;
            var cap = Math.Min(_maxBatchSize, _maxBatchTokens / length);
            for (var l = length; l > 0 && _batch.Count < cap; l--)
            {
                foreach (var queue in _byLength[l])
                {
                    while (_batch.Count < cap && queue.TryDequeue(out var sentence))
                    {
                        Count--;
                        sentence.Job.Unbatched--;
                        // Jobs whose client stopped waiting, or that failed elsewhere, are dropped here, not computed.
                        if (!sentence.Job.AbandonIfExpired(now))
                            _batch.Add(sentence);
                    }
                }
            }
        }
        return new InferenceBatch([.. _batch], _batch.Max(static s => s.Ids.Length));
    }

    /// <summary>All the waiting sentences' jobs (to fail them when the planner cannot go on).</summary>
    public IEnumerable<EncodeJob> Jobs => _smallJobs.Concat(_jobs).Where(static job => job.Unbatched > 0);

    /// <summary>
    /// The length of the oldest live job's longest waiting sentence: its sentences lead every queue they are in,
    /// since queues are FIFO and only ever taken from the front. 0 when nothing live waits.
    /// </summary>
    int AnchorLength(long now)
    {
        for (var kind = 0; kind < 2; kind++)
        {
            var jobs = kind == 0 ? _smallJobs : _jobs;
            while (jobs.TryPeek(out var oldest))
            {
                if (oldest.Unbatched > 0)
                {
                    if (!oldest.AbandonIfExpired(now))
                    {
                        for (var l = _byLength.Length - 1; l > 0; l--)
                            if (_byLength[l][kind].TryPeek(out var head) && head.Job == oldest)
                                return l;
                        // Cannot happen while the queues stay FIFO; if it does, its client must hear, not hang.
                        oldest.Fail(Client.Protocol.ErrorCode.Internal, "The batch planner lost track of this request's sentences.");
                    }
                    // Finished or expired with sentences still queued: drop them now so they are not found again.
                    Drop(oldest, kind);
                }
                jobs.Dequeue();
            }
        }
        return 0;
    }

    /// <summary>What is wrong with the pool's bookkeeping, or null: for tests.</summary>
    internal string? CheckConsistency()
    {
        var total = 0;
        for (var kind = 0; kind < 2; kind++)
        {
            var order = (kind == 0 ? _smallJobs : _jobs).Select((job, index) => (job, index)).ToDictionary(p => p.job, p => p.index);
            var counts = new Dictionary<EncodeJob, int>();
            for (var l = 1; l < _byLength.Length; l++)
            {
                var last = -1;
                foreach (var sentence in _byLength[l][kind])
                {
                    total++;
                    counts[sentence.Job] = counts.GetValueOrDefault(sentence.Job) + 1;
                    if (!order.TryGetValue(sentence.Job, out var index))
                        return $"a sentence of length {l} (kind {kind}) belongs to no queued job";
                    if (index < last)
                        return $"bucket {l} (kind {kind}) is out of job order";
                    last = index;
                }
            }
            foreach (var (job, _) in order)
                if (job.Unbatched != counts.GetValueOrDefault(job))
                    return $"a job counts {job.Unbatched} unbatched sentences but has {counts.GetValueOrDefault(job)} (kind {kind})";
        }
        return total == Count ? null : $"Count is {Count} but {total} sentences wait";
    }

    void Drop(EncodeJob job, int kind)
    {
        for (var l = 1; l < _byLength.Length && job.Unbatched > 0; l++)
        {
            var queue = _byLength[l][kind];
            while (queue.TryPeek(out var head) && head.Job == job)
            {
                queue.Dequeue();
                Count--;
                job.Unbatched--;
            }
        }
    }
}

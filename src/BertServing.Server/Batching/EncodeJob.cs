using BertServing.Client.Protocol;

namespace BertServing.Server.Batching;

/// <summary>
/// One accepted encode request on its way through the server. Whoever accepted it (a transport front) gives a
/// completion callback; the pipeline calls it exactly once, with the rows filled in or with an error. That
/// callback is the only way results travel back, so batching and inference never know about transports.
/// </summary>
public sealed class EncodeJob
{
    int _remainingRows;
    int _finished;

    /// <summary>Its sentences waiting in the planner's <see cref="SentencePool"/>; the planner thread's alone.</summary>
    internal int Unbatched;

    /// <summary>Creates a job for <paramref name="count"/> sentences.</summary>
    public EncodeJob(int count, Action<EncodeJob> onFinished)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        Count = count;
        _remainingRows = count;
        OnFinished = onFinished;
    }

    /// <summary>Number of sentences.</summary>
    public int Count { get; }

    /// <summary>Raw sentences; exclusive with <see cref="Tokenized"/>.</summary>
    public IReadOnlyList<string>? Texts { get; init; }

    /// <summary>Pre-tokenized sentences, looked up as given.</summary>
    public IReadOnlyList<IReadOnlyList<string>>? Tokenized { get; init; }

    /// <summary>When the front accepted it (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>): the queue stage starts here.</summary>
    public long AcceptedAt { get; } = System.Diagnostics.Stopwatch.GetTimestamp();

    /// <summary>Internal work (the warm-up) that the metrics must not count.</summary>
    public bool Unmetered { get; init; }

    /// <summary>Set once its queue time is recorded; any worker may get there first.</summary>
    internal int QueueTimeRecorded;

    /// <summary>Model-input tokens of all its sentences after truncation, [CLS]/[SEP] included (set by the planner).</summary>
    public int TokenCount { get; internal set; }

    /// <summary>Whether the model-input tokens go back with the result.</summary>
    public bool ShowTokens { get; init; }

    /// <summary>
    /// <see cref="Environment.TickCount64"/> after which nobody waits for the result any more; 0 for never. Work on
    /// a job past its deadline is skipped, not computed.
    /// </summary>
    public long Deadline { get; init; }

    /// <summary>Whether the job is done or failed; later work on it is wasted.</summary>
    public bool IsFinished => Volatile.Read(ref _finished) != 0;

    /// <summary>Whether its client has stopped waiting at <paramref name="now"/> (a <see cref="Environment.TickCount64"/>).</summary>
    public bool IsExpired(long now) => Deadline != 0 && now > Deadline;

    /// <summary>Fails the job as expired when its client has stopped waiting; true when it is finished either way.</summary>
    public bool AbandonIfExpired(long now)
    {
        if (IsExpired(now))
            Fail(ErrorCode.Expired, "The request's timeout passed before the server reached it; it was not computed.");
        return IsFinished;
    }

    /// <summary>Called once when the job is done or failed.</summary>
    public Action<EncodeJob> OnFinished { get; }

    /// <summary>Length of one vector (set by the planner).</summary>
    public int Dimension { get; internal set; }

    /// <summary>Vectors per sentence for token embeddings (<c>NONE</c> pooling), 0 for one vector per sentence.</summary>
    public int TokenRows { get; internal set; }

    /// <summary>Floats per sentence in <see cref="Output"/>.</summary>
    public int RowLength => TokenRows > 0 ? TokenRows * Dimension : Dimension;

    /// <summary>The result's shape: <c>[N, D]</c>, or <c>[N, T, D]</c> for token embeddings.</summary>
    public int[] Shape => TokenRows > 0 ? [Count, TokenRows, Dimension] : [Count, Dimension];

    /// <summary>The <see cref="Shape"/> float32 result as raw little-endian bytes, sent as is.</summary>
    public byte[] Output { get; internal set; } = [];

    /// <summary>Model-input tokens per sentence when <see cref="ShowTokens"/>.</summary>
    public IReadOnlyList<string>[]? Tokens { get; internal set; }

    /// <summary>Rows whose sentence was cut to max_seq_len (set by the planner; null when none was).</summary>
    public List<int>? Truncated { get; internal set; }

    /// <summary>Set when the job failed.</summary>
    public ErrorCode Error { get; private set; }

    /// <summary>Why the job failed.</summary>
    public string? ErrorMessage { get; private set; }

    /// <summary>The result row of sentence <paramref name="row"/>, as floats over <see cref="Output"/>.</summary>
    public Span<float> OutputRow(int row) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Output.AsSpan()).Slice(row * RowLength, RowLength);

    /// <summary>Records that <paramref name="rows"/> rows are written; the last one finishes the job.</summary>
    public void RowsDone(int rows)
    {
        // Interlocked is a full fence, so the finishing thread sees every row other workers wrote.
        if (Interlocked.Add(ref _remainingRows, -rows) == 0)
            Finish();
    }

    /// <summary>Fails the job; later rows and failures are ignored.</summary>
    public void Fail(ErrorCode code, string message)
    {
        // Claim the job first, then write the outcome: checking then writing could race the last RowsDone, and a
        // finished job would report an error code (or a code without its message).
        if (Interlocked.Exchange(ref _finished, 1) != 0)
            return;
        Error = code;
        ErrorMessage = message;
        OnFinished(this);
    }

    void Finish()
    {
        if (Interlocked.Exchange(ref _finished, 1) == 0)
            OnFinished(this);
    }
}

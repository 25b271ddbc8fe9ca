namespace BertServing.Server.Batching;

/// <summary>Sentences of similar length run together; padded to <see cref="SequenceLength"/>, the longest.</summary>
public sealed class InferenceBatch(TokenizedSentence[] sentences, int sequenceLength)
{
    /// <summary>The sentences, possibly from several jobs.</summary>
    public TokenizedSentence[] Sentences { get; } = sentences;

    /// <summary>Length every sentence is padded to.</summary>
    public int SequenceLength { get; } = sequenceLength;

    /// <summary>
    /// This batch without the sentences of jobs that are already finished (another batch of theirs failed) or whose
    /// client stopped waiting at <paramref name="now"/>; those jobs are failed as expired. Itself when all are live.
    /// </summary>
    public InferenceBatch WithoutAbandoned(long now)
    {
        var abandoned = false;
        foreach (var sentence in Sentences)
            abandoned |= sentence.Job.AbandonIfExpired(now);
        // Another worker may finish a job meanwhile: filter on one read per sentence, not on the count above.
        return abandoned ? new InferenceBatch(Array.FindAll(Sentences, s => !s.Job.IsFinished), SequenceLength) : this;
    }
}

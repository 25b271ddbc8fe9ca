namespace BertServing.Server.Batching;

/// <summary>Sentences of similar length run together; padded to <see cref="SequenceLength"/>, the longest.</summary>
public sealed class InferenceBatch(TokenizedSentence[] sentences, int sequenceLength)
{
    /// <summary>The sentences, possibly from several jobs.</summary>
    public TokenizedSentence[] Sentences { get; } = sentences;

    /// <summary>Length every sentence is padded to.</summary>
    public int SequenceLength { get; } = sequenceLength;
}

namespace BertServing.Server.Batching;

/// <summary>One sentence ready for the model: its ids with [CLS]/[SEP], and where its result goes.</summary>
public readonly record struct TokenizedSentence(EncodeJob Job, int Row, int[] Ids);

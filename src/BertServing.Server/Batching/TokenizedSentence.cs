namespace BertServing.Server.Batching;

/// <summary>
/// One sentence ready for the model: its ids (with [CLS]/[SEP] unless <c>-no_special_token</c>), where its second
/// segment starts for a sentence pair (0 for none: token type 1 from there on), and where its result goes.
/// </summary>
public readonly record struct TokenizedSentence(EncodeJob Job, int Row, int[] Ids, int SecondSegment = 0);

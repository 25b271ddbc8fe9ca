using MessagePack;

namespace BertServing.Client.Protocol;

/// <summary>
/// A native request: the second of the two frames <c>[identity, Request]</c> sent to the server's PULL socket.
/// Keys are on the wire: append only, never renumber.
/// </summary>
[MessagePackObject]
public sealed class Request
{
    /// <summary>Protocol version of the sender; the server refuses versions it does not speak.</summary>
    [Key(0)]
    public int Version { get; set; } = ProtocolVersion.Current;

    /// <summary>What is asked.</summary>
    [Key(1)]
    public RequestKind Kind { get; set; }

    /// <summary>Chosen by the client, echoed in the reply; unique per client identity.</summary>
    [Key(2)]
    public long RequestId { get; set; }

    /// <summary>Raw sentences (for <see cref="RequestKind.Encode"/>); exclusive with <see cref="Tokenized"/>.</summary>
    [Key(3)]
    public IReadOnlyList<string>? Texts { get; set; }

    /// <summary>Pre-tokenized sentences, each token looked up as-is in the vocabulary.</summary>
    [Key(4)]
    public IReadOnlyList<IReadOnlyList<string>>? Tokenized { get; set; }

    /// <summary>Return the model-input tokens of each sentence with the embeddings.</summary>
    [Key(5)]
    public bool ShowTokens { get; set; }

    /// <summary>
    /// How long the sender waits for the reply, in milliseconds; 0 for no limit. The server skips what it would
    /// finish only after that (the sender has given up), answering <see cref="ErrorCode.Expired"/> instead.
    /// </summary>
    [Key(6)]
    public int TimeoutMs { get; set; }
}

using MessagePack;

namespace BertServing.Client.Protocol;

/// <summary>
/// A native reply: the second of the three frames <c>[identity, Reply, data]</c> published on the server's
/// PUB socket. The data frame holds the raw little-endian values for <see cref="ReplyKind.Embeddings"/> and is
/// empty otherwise. Keys are on the wire: append only, never renumber.
/// </summary>
[MessagePackObject]
public sealed class Reply
{
    /// <summary>Protocol version of the server.</summary>
    [Key(0)]
    public int Version { get; set; } = ProtocolVersion.Current;

    /// <summary>What this reply carries.</summary>
    [Key(1)]
    public ReplyKind Kind { get; set; }

    /// <summary>The <see cref="Request.RequestId"/> answered.</summary>
    [Key(2)]
    public long RequestId { get; set; }

    /// <summary>Element type of the data frame: <c>float32</c>.</summary>
    [Key(3)]
    public string? Dtype { get; set; }

    /// <summary>Shape of the data frame, row-major: <c>[N, D]</c>.</summary>
    [Key(4)]
    public IReadOnlyList<int>? Shape { get; set; }

    /// <summary>Model-input tokens per sentence (with [CLS]/[SEP]) when the request asked for them.</summary>
    [Key(5)]
    public IReadOnlyList<IReadOnlyList<string>>? Tokens { get; set; }

    /// <summary>Why the request failed, for <see cref="ReplyKind.Error"/>.</summary>
    [Key(6)]
    public ErrorCode Error { get; set; }

    /// <summary>A message for a person, for <see cref="ReplyKind.Error"/>.</summary>
    [Key(7)]
    public string? Message { get; set; }

    /// <summary>The server's description, for <see cref="ReplyKind.Hello"/>.</summary>
    [Key(8)]
    public ServerInfo? Info { get; set; }

    /// <summary>A JSON object, for <see cref="ReplyKind.Json"/>.</summary>
    [Key(9)]
    public string? Json { get; set; }

    /// <summary>Rows whose sentence was longer than the server's max_seq_len and was cut, for <see cref="ReplyKind.Embeddings"/>.</summary>
    [Key(10)]
    public IReadOnlyList<int>? Truncated { get; set; }
}

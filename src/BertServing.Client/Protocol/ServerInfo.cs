using MessagePack;

namespace BertServing.Client.Protocol;

/// <summary>What a server tells a client about itself in answer to <see cref="RequestKind.Hello"/>.</summary>
[MessagePackObject]
public sealed class ServerInfo
{
    /// <summary>The server's product version.</summary>
    [Key(0)]
    public string ServerVersion { get; set; } = "";

    /// <summary>The model served (a folder name, or <c>all-MiniLM-L6-v2</c> for the built-in one).</summary>
    [Key(1)]
    public string Model { get; set; } = "";

    /// <summary>Length of one embedding.</summary>
    [Key(2)]
    public int Dimension { get; set; }

    /// <summary>Maximum tokens per sentence including [CLS]/[SEP]; null when dynamic (<c>NONE</c>).</summary>
    [Key(3)]
    public int? MaxSeqLen { get; set; }

    /// <summary>Pooling strategy name, as bert-as-service spells it.</summary>
    [Key(4)]
    public string PoolingStrategy { get; set; } = "";

    /// <summary>Whether raw text is lower-cased and accent-stripped before WordPiece.</summary>
    [Key(5)]
    public bool DoLowerCase { get; set; }

    /// <summary>Most sentences the server accepts in one request.</summary>
    [Key(6)]
    public int MaxSentencesPerRequest { get; set; }
}

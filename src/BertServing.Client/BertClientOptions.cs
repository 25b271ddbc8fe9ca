namespace BertServing.Client;

/// <summary>
/// Everything a <see cref="BertClient"/> can be told, with bert-serving-client's names and defaults where it has
/// them. Bindable from configuration; checked by <see cref="Validate"/> when a client is created.
/// </summary>
public sealed class BertClientOptions
{
    /// <summary>Host name or address of the server. Defaults to <c>localhost</c>.</summary>
    public string Ip { get; set; } = "localhost";

    /// <summary>The server's request port (<c>-port</c>). Defaults to 5555.</summary>
    public int Port { get; set; } = 5555;

    /// <summary>The server's result port (<c>-port_out</c>). Defaults to 5556.</summary>
    public int PortOut { get; set; } = 5556;

    /// <summary>How long one call waits for its reply; <see cref="System.Threading.Timeout.InfiniteTimeSpan"/> waits
    /// forever (bas's <c>timeout=-1</c>). Defaults to 60 s: a client that hangs forever is bas's most reported problem.</summary>
    public TimeSpan Timeout { get; set; } = BertClient.DefaultTimeout;

    /// <summary>This client's identity (the SUB topic); clients sharing one all receive its replies. Defaults to a new UUID.</summary>
    public string? Identity { get; set; }

    /// <summary>Log the server's configuration (at Information) on the first call. Defaults to false.</summary>
    public bool ShowServerConfig { get; set; }

    /// <summary>Refuse a server whose version differs from this client's (<see cref="ServerVersionMismatchException"/>). Defaults to true.</summary>
    public bool CheckVersion { get; set; } = true;

    /// <summary>Warn (through the logger) when the server cut sentences to its max_seq_len. The server reports exactly
    /// which rows it cut, counted in WordPieces, where bas's client guesses from whitespace words. Defaults to true.</summary>
    public bool CheckLength { get; set; } = true;

    /// <summary>Warn when tokens are asked for but cannot be returned. The native protocol always returns them when
    /// asked, so this never fires against a BertServing server; kept for bas parity. Defaults to true.</summary>
    public bool CheckTokenInfo { get; set; } = true;

    /// <summary>Turn every check above off. Defaults to false.</summary>
    public bool IgnoreAllChecks { get; set; }

    /// <summary>
    /// The server's CurveZMQ public key (40 Z85 characters, printed by <c>bertserving-start -curve_keygen</c>) for a
    /// server started with <c>-curve_key_file</c>: requests and replies are then encrypted, and only clients that
    /// know this key can talk to the server. Null (the default) for plain TCP.
    /// </summary>
    public string? CurveServerKey { get; set; }

    /// <summary>The longest finite <see cref="Timeout"/>: a first call may wait twice it, and waits are counted in int milliseconds.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMilliseconds(int.MaxValue / 2);

    internal BertClientOptions Copy() => (BertClientOptions)MemberwiseClone();

    /// <summary>The first problem with these options, or null when they are usable.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Ip)) return "Ip must not be empty.";
        if (Port is < 1 or > 65535) return $"Port must be 1-65535, got {Port}.";
        if (PortOut is < 1 or > 65535) return $"PortOut must be 1-65535, got {PortOut}.";
        if (Timeout != System.Threading.Timeout.InfiniteTimeSpan && Timeout <= TimeSpan.Zero) return "Timeout must be positive or Timeout.InfiniteTimeSpan.";
        if (Timeout > MaxTimeout) return $"Timeout must be at most {MaxTimeout.TotalDays:0} days; use Timeout.InfiniteTimeSpan to wait without limit.";
        if (Identity is not null && string.IsNullOrWhiteSpace(Identity)) return "Identity must not be empty.";
        if (Identity is not null && System.Text.Encoding.UTF8.GetByteCount(Identity) > 256) return "Identity must be at most 256 bytes in UTF-8 (the server refuses longer ones).";
        if (CurveServerKey is not null && CurveServerKey.Length != 40) return $"CurveServerKey must be the server's 40-character Z85 public key, got {CurveServerKey.Length} characters.";
        return null;
    }
}

namespace BertServing.Client.Protocol;

/// <summary>Version of the native MessagePack protocol. Bump on any change a peer could misread.</summary>
public static class ProtocolVersion
{
    /// <summary>The version this build speaks.</summary>
    public const int Current = 1;
}

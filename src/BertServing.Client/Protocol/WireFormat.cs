using MessagePack;

namespace BertServing.Client.Protocol;

/// <summary>Frame layout and serializer settings shared by the client and the server.</summary>
public static class WireFormat
{
    /// <summary>Frames in a native request: <c>[identity, Request]</c>.</summary>
    public const int NativeRequestFrames = 2;

    /// <summary>Frames in a native reply: <c>[identity, Reply, data]</c>.</summary>
    public const int NativeReplyFrames = 3;

    /// <summary>Frames in a bert-serving-client 1.10 request: <c>[identity, msg, req_id, msg_len]</c>.</summary>
    public const int LegacyRequestFrames = 4;

    /// <summary>Element type name of float32 data, as numpy spells it.</summary>
    public const string DtypeFloat32 = "float32";

    /// <summary>
    /// MessagePack settings for everything read from the network: <see cref="MessagePackSecurity.UntrustedData"/>
    /// bounds recursion depth and hardens hashing against hostile keys.
    /// </summary>
    public static MessagePackSerializerOptions Options { get; } =
        MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);
}

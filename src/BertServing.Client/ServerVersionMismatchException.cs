namespace BertServing.Client;

/// <summary>The server's version is not this client's (bas's "version mismatch!"); pass <c>CheckVersion = false</c> to accept it.</summary>
public sealed class ServerVersionMismatchException : Exception
{
    /// <summary>Creates the exception for the two versions.</summary>
    public ServerVersionMismatchException(string serverVersion, string clientVersion)
        : base($"Version mismatch! The server's version is {serverVersion} but the client's is {clientVersion}. Use the same version on both sides, or set CheckVersion = false (or IgnoreAllChecks = true) to go on at your own risk.")
    {
        ServerVersion = serverVersion;
        ClientVersion = clientVersion;
    }

    /// <inheritdoc/>
    public ServerVersionMismatchException() { }

    /// <inheritdoc/>
    public ServerVersionMismatchException(string message) : base(message) { }

    /// <inheritdoc/>
    public ServerVersionMismatchException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>What the server reported.</summary>
    public string ServerVersion { get; } = "";

    /// <summary>This library's version.</summary>
    public string ClientVersion { get; } = "";
}

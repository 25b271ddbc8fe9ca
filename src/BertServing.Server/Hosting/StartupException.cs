namespace BertServing.Server.Hosting;

/// <summary>The server cannot start; the message is printed as the one line a user sees.</summary>
public sealed class StartupException : Exception
{
    /// <summary>Creates the exception.</summary>
    public StartupException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause (kept for debug logs, not shown).</summary>
    public StartupException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with no message.</summary>
    public StartupException() { }
}

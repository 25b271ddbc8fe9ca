using BertServing.Client.Protocol;

namespace BertServing.Client;

/// <summary>The server answered a request with an error.</summary>
public sealed class ServerErrorException : Exception
{
    /// <summary>Creates the exception for an error reply.</summary>
    public ServerErrorException(ErrorCode code, string message, long requestId)
        : base($"The server refused request {requestId} ({code}): {message}")
    {
        Code = code;
        RequestId = requestId;
        Data["bertserving-error"] = code.ToString();
        Data["bertserving-request"] = requestId;
    }

    /// <summary>Creates the exception with a message only.</summary>
    public ServerErrorException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and cause.</summary>
    public ServerErrorException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Creates the exception with no details.</summary>
    public ServerErrorException() { }

    /// <summary>Why the server refused.</summary>
    public ErrorCode Code { get; }

    /// <summary>The request refused.</summary>
    public long RequestId { get; }
}

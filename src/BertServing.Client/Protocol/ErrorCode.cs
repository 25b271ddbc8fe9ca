namespace BertServing.Client.Protocol;

/// <summary>Why the server refused or failed a request. Values are on the wire: append only.</summary>
public enum ErrorCode
{
    /// <summary>No error.</summary>
    None = 0,

    /// <summary>The request is malformed: wrong frames, undecodable payload, or invalid content.</summary>
    BadRequest = 1,

    /// <summary>The request's protocol version is not one the server speaks.</summary>
    UnsupportedVersion = 2,

    /// <summary>The request exceeds a server limit (sentences per request, characters per sentence, bytes).</summary>
    TooLarge = 3,

    /// <summary>The server's queue is full; retry later.</summary>
    Busy = 4,

    /// <summary>The server failed while computing the request.</summary>
    Internal = 5,

    /// <summary>The server is shutting down and will not compute the request.</summary>
    ShuttingDown = 6,

    /// <summary>The request's <see cref="Request.TimeoutMs"/> passed before it was computed, so it was skipped.</summary>
    Expired = 7,
}

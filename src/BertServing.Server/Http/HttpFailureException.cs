namespace BertServing.Server.Http;

/// <summary>
/// A refusal on its way to the caller: the HTTP status, a machine-readable code and a message that says what to do.
/// Each route family writes it in its own shape (bas's <c>{"description","type","status"}</c>, OpenAI's
/// <c>{"error":{...}}</c>).
/// </summary>
public sealed class HttpFailureException(int status, string code, string message, string? param = null) : Exception(message)
{
    /// <summary>The HTTP status code.</summary>
    public int Status { get; } = status;

    /// <summary>A stable machine-readable reason, e.g. <c>BadRequest</c> or <c>invalid_api_key</c>.</summary>
    public string Code { get; } = code;

    /// <summary>The request field at fault, when there is one.</summary>
    public string? Param { get; } = param;
}

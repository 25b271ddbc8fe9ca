using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace BertServing.Server.Http;

/// <summary>
/// <c>-http_api_key</c>: the encode routes answer 401 unless <c>Authorization: Bearer KEY</c> matches. Compared in
/// constant time, so the key cannot be guessed byte by byte from response times.
/// </summary>
sealed class ApiKeyFilter(string key, Func<HttpContext, HttpFailureException, Task> writeError) : IEndpointFilter
{
    readonly byte[] _key = Encoding.UTF8.GetBytes(key);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var header = context.HttpContext.Request.Headers.Authorization.ToString();
        const string Scheme = "Bearer ";
        var given = header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) ? Encoding.UTF8.GetBytes(header[Scheme.Length..].Trim()) : [];
        if (CryptographicOperations.FixedTimeEquals(given, _key))
            return await next(context).ConfigureAwait(false);
        var failure = new HttpFailureException(401, "invalid_api_key", header.Length == 0
            ? "This server requires an API key: send 'Authorization: Bearer <key>'."
            : "The API key is not valid for this server.");
        await writeError(context.HttpContext, failure).ConfigureAwait(false);
        return null;
    }
}

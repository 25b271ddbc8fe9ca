using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace BertServing.Server.Http;

/// <summary>
/// Reads request bodies so that every failure becomes an <see cref="HttpFailureException"/> the route can answer in its own
/// shape: malformed JSON is a 400 naming the position, a body over <c>-http_max_body</c> a 413.
/// </summary>
static class HttpBodies
{
    /// <summary>Bounded nesting: no sentence list needs more than a few levels.</summary>
    static readonly JsonDocumentOptions Reading = new() { MaxDepth = 16 };

    /// <summary>How the routes write JSON.</summary>
    /// <remarks>Messages keep their quotes readable (<c>'input'</c>, not <c>\u0027input\u0027</c>); every body is
    /// <c>application/json</c>, never inlined into HTML.</remarks>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = null,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static async Task<JsonDocument> ReadJsonAsync(HttpRequest request)
    {
        try
        {
            return await JsonDocument.ParseAsync(request.Body, Reading, request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (JsonException e)
        {
            throw new HttpFailureException(400, "BadRequest", "The body is not valid JSON: " + e.Message);
        }
        catch (BadHttpRequestException e)
        {
            throw TooLargeOr(e);
        }
    }

    public static JsonDocument ParseJson(string text)
    {
        try
        {
            return JsonDocument.Parse(text, Reading);
        }
        catch (JsonException e)
        {
            throw new HttpFailureException(400, "BadRequest", "The field is not valid JSON: " + e.Message);
        }
    }

    public static async Task<IFormCollection> ReadFormAsync(HttpRequest request)
    {
        try
        {
            return await request.ReadFormAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            throw TooLargeOr(e);
        }
        catch (InvalidDataException e)
        {
            throw new HttpFailureException(400, "BadRequest", "The form cannot be read: " + e.Message);
        }
    }

    static HttpFailureException TooLargeOr(BadHttpRequestException e) => e.StatusCode == StatusCodes.Status413PayloadTooLarge
        ? new HttpFailureException(413, "TooLarge", "The request body is larger than the server takes (-http_max_body); split the input.")
        : new HttpFailureException(e.StatusCode, "BadRequest", "The request body cannot be read: " + e.Message);
}

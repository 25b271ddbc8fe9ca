using System.Text.Json;
using BertServing.Server.Input;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using ErrorCode = BertServing.Client.Protocol.ErrorCode;

namespace BertServing.Server.Http;

/// <summary>
/// bert-as-service's HTTP routes (its <c>http.py</c>): <c>POST /encode</c>, <c>GET /status/server</c>,
/// <c>GET /status/client</c>. Every body carries <c>"status"</c> as flask-json adds it; errors are
/// <c>{"description","type","status"}</c> with the real HTTP status (bas answers every error with 400).
/// </summary>
static class BasRoutes
{
    const string EncodeRoute = "/encode";

    /// <summary>Maps the routes; <paramref name="encode"/> is the group that carries the API key and the concurrency limit.</summary>
    public static void Map(IEndpointRouteBuilder routes, RouteGroupBuilder encode, EncodeService service, HttpFrontCounters counters)
    {
        encode.MapPost(EncodeRoute, (HttpContext context) => EncodeAsync(context, service, counters));
        routes.MapGet("/status/server", (HttpContext context) =>
            WriteAsync(context, 200, service.Require().Status.Report(withStatistics: true)));
        routes.MapGet("/status/client", (HttpContext context) =>
            WriteAsync(context, 200, counters.Report()));
    }

    static async Task EncodeAsync(HttpContext context, EncodeService service, HttpFrontCounters counters)
    {
        using var pending = counters.Begin();
        try
        {
            var backend = service.Require();
            var (id, sentences) = await ReadAsync(context.Request, backend.Info.MaxSentencesPerRequest).ConfigureAwait(false);
            var job = await service.EncodeAsync(EncodeRoute, ClientName(context), sentences.Texts, sentences.Tokenized, context.RequestAborted).ConfigureAwait(false);
            await WriteAsync(context, 200, new Dictionary<string, object?> { ["id"] = id, ["result"] = Result(job) }).ConfigureAwait(false);
        }
        catch (HttpFailureException failure)
        {
            EncodeService.Refused(EncodeRoute, failure);
            await WriteErrorAsync(context, failure).ConfigureAwait(false);
        }
    }

    /// <summary>The vectors nested as bas's <c>ndarray.tolist()</c> nests them: <c>[N][D]</c>, or <c>[N][T][D]</c> with token rows.</summary>
    static object Result(Batching.EncodeJob job)
    {
        if (job.TokenRows == 0)
            return Enumerable.Range(0, job.Count).Select(i => job.OutputRow(i).ToArray()).ToArray();
        return Enumerable.Range(0, job.Count)
            .Select(i => Enumerable.Range(0, job.TokenRows).Select(t => job.OutputRow(i).Slice(t * job.Dimension, job.Dimension).ToArray()).ToArray())
            .ToArray();
    }

    /// <summary>Writes a failure in bas's error shape.</summary>
    public static Task WriteErrorAsync(HttpContext context, HttpFailureException failure) =>
        WriteAsync(context, failure.Status, new Dictionary<string, object?> { ["description"] = failure.Message, ["type"] = failure.Code });

    /// <summary><c>{"id","texts","is_tokenized"}</c> from a JSON body or a form (repeated <c>texts</c> fields, or one holding a JSON list).</summary>
    static async Task<(JsonElement? Id, JsonSentences.Outcome Sentences)> ReadAsync(HttpRequest request, int maxSentences)
    {
        JsonSentences.Outcome sentences;
        JsonElement? id;
        if (request.HasFormContentType)
        {
            var form = await HttpBodies.ReadFormAsync(request).ConfigureAwait(false);
            if (!form.TryGetValue("texts", out var texts) || texts.Count == 0)
                throw Bad("The form has no 'texts' field; send one per sentence, or one holding a JSON list.");
            var tokenized = ParseFlag(form.TryGetValue("is_tokenized", out var flag) ? flag.ToString() : null);
            using var list = texts.Count == 1 && texts[0]!.TrimStart().StartsWith('[')
                ? HttpBodies.ParseJson(texts[0]!)
                : JsonSerializer.SerializeToDocument(texts.ToArray());
            sentences = JsonSentences.Read(list.RootElement, "texts", maxSentences, tokenized);
            id = form.TryGetValue("id", out var formId) ? JsonSerializer.SerializeToElement(formId.ToString()) : null;
        }
        else
        {
            using var document = await HttpBodies.ReadJsonAsync(request).ConfigureAwait(false);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Bad("The body must be a JSON object {\"id\", \"texts\", \"is_tokenized\"}.");
            if (!root.TryGetProperty("texts", out var texts))
                throw Bad("The body has no 'texts': a list of sentences (or of token lists with \"is_tokenized\": true).");
            bool? tokenized = root.TryGetProperty("is_tokenized", out var flag) ? flag.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False or JsonValueKind.Null => false,
                _ => throw Bad("'is_tokenized' must be true or false."),
            } : false;
            sentences = JsonSentences.Read(texts, "texts", maxSentences, tokenized);
            id = root.TryGetProperty("id", out var given) ? given.Clone() : null;
        }
        if (sentences.Error != ErrorCode.None)
            throw new HttpFailureException(EncodeService.StatusOf(sentences.Error), sentences.Error.ToString(), sentences.Message!, "texts");
        return (id, sentences);
    }

    // bas takes bool(form value), so "false" means true there; here the words mean what they say.
    static bool ParseFlag(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "false" or "0" or "no" => false,
        "true" or "1" or "yes" => true,
        _ => throw Bad($"'is_tokenized' must be true or false, got '{value}'."),
    };

    static HttpFailureException Bad(string message) => new(400, nameof(ErrorCode.BadRequest), message);

    static string ClientName(HttpContext context) => "http:" + context.Connection.RemoteIpAddress;

    static Task WriteAsync(HttpContext context, int status, Dictionary<string, object?> body)
    {
        body["status"] = status;
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(body, HttpBodies.Json, context.RequestAborted);
    }
}

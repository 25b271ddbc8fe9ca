using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BertServing.Server.Http;

/// <summary>
/// OpenAI's <c>POST /v1/embeddings</c> (and <c>GET /v1/models</c>, which SDKs probe): <c>input</c> as a string, a
/// list of strings, a list of token ids or a list of such lists (ids of this model's vocabulary); <c>encoding_format</c>
/// <c>float</c> or <c>base64</c> (little-endian float32, the Python SDK's default); <c>dimensions</c> truncates, then
/// re-normalizes as TEI does. Vectors are L2-normalized. Errors are OpenAI's <c>{"error":{message,type,param,code}}</c>.
/// </summary>
static class OpenAiEmbeddings
{
    const string Route = "/v1/embeddings";

    public static void Map(IEndpointRouteBuilder routes, RouteGroupBuilder encode, EncodeService service)
    {
        encode.MapPost(Route, (HttpContext context) => EmbedAsync(context, service));
        routes.MapGet("/v1/models", (HttpContext context) =>
        {
            var backend = service.Require();
            return context.Response.WriteAsJsonAsync(new Dictionary<string, object?>
            {
                ["object"] = "list",
                ["data"] = new[] { new Dictionary<string, object?> { ["id"] = backend.Info.Model, ["object"] = "model", ["owned_by"] = "bertserving" } },
            }, HttpBodies.Json, context.RequestAborted);
        });
    }

    /// <summary>Writes a failure in OpenAI's error shape.</summary>
    public static Task WriteErrorAsync(HttpContext context, HttpFailureException failure)
    {
        var type = failure.Status switch
        {
            401 => "authentication_error",
            429 => "rate_limit_error",
            >= 500 => "server_error",
            _ => "invalid_request_error",
        };
        context.Response.StatusCode = failure.Status;
        return context.Response.WriteAsJsonAsync(new Dictionary<string, object?>
        {
            ["error"] = new Dictionary<string, object?> { ["message"] = failure.Message, ["type"] = type, ["param"] = failure.Param, ["code"] = failure.Code },
        }, HttpBodies.Json, context.RequestAborted);
    }

    static async Task EmbedAsync(HttpContext context, EncodeService service)
    {
        try
        {
            var backend = service.Require();
            if (backend.TokenRows)
                throw new HttpFailureException(400, "unsupported_pooling", "This server runs -pooling_strategy NONE (token embeddings); the embeddings API returns one vector per input. Use /encode or restart with a pooling strategy.");
            using var document = await HttpBodies.ReadJsonAsync(context.Request).ConfigureAwait(false);
            var request = EmbeddingRequest.Read(document.RootElement, backend.Info.Dimension, backend.Info.MaxSentencesPerRequest, backend.Vocabulary);
            var job = await service.EncodeAsync(Route, "http:" + context.Connection.RemoteIpAddress, request.Texts, request.Tokenized, context.RequestAborted).ConfigureAwait(false);
            await WriteAsync(context, request, job, request.Model ?? backend.Info.Model).ConfigureAwait(false);
        }
        catch (HttpFailureException failure)
        {
            EncodeService.Refused(Route, failure);
            await WriteErrorAsync(context, failure).ConfigureAwait(false);
        }
    }

    static async Task WriteAsync(HttpContext context, EmbeddingRequest request, Batching.EncodeJob job, string model)
    {
        var dimensions = request.Dimensions ?? job.Dimension;
        var vector = new float[dimensions];
        context.Response.ContentType = "application/json";
        var writer = new Utf8JsonWriter(context.Response.BodyWriter);
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            for (var i = 0; i < job.Count; i++)
            {
                job.OutputRow(i)[..dimensions].CopyTo(vector);
                var norm = TensorPrimitives.Norm(vector);
                if (norm > 0)
                    TensorPrimitives.Divide(vector, norm, vector);
                writer.WriteStartObject();
                writer.WriteString("object", "embedding");
                writer.WriteNumber("index", i);
                if (request.Base64)
                {
                    // The wire format is little-endian float32; so is every machine .NET runs this server on.
                    writer.WriteBase64String("embedding", MemoryMarshal.AsBytes(vector.AsSpan()));
                }
                else
                {
                    writer.WriteStartArray("embedding");
                    foreach (var value in vector)
                        writer.WriteNumberValue(value);
                    writer.WriteEndArray();
                }
                writer.WriteEndObject();
                // Flush as we go: a big request's reply never sits whole in memory as JSON.
                if (writer.BytesPending > 64 * 1024)
                    await writer.FlushAsync(context.RequestAborted).ConfigureAwait(false);
            }
            writer.WriteEndArray();
            writer.WriteString("model", model);
            writer.WriteStartObject("usage");
            writer.WriteNumber("prompt_tokens", job.TokenCount);
            writer.WriteNumber("total_tokens", job.TokenCount);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }
    }
}

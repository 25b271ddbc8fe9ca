using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace BertServing.Server.Http;

/// <summary>
/// Operations routes, public even with an API key: <c>/health</c> (the process answers), <c>/ready</c> (the model is
/// loaded and warm: 503 until then, for load balancers and Kubernetes), <c>/status/live</c> (the dashboard's
/// figures) and the dashboard itself at <c>/</c>.
/// </summary>
static class OpsRoutes
{
    const string DashboardResource = "BertServing.Server.Http.Dashboard.html";

    public static void Map(IEndpointRouteBuilder routes, EncodeService service)
    {
        // Liveness: fails only once the engine can no longer encode, so Kubernetes restarts the pod.
        routes.MapGet("/health", () => service.Backend?.Pipeline.Failure is { } failure
            ? Results.Json(new { status = "failed", error = failure }, statusCode: 503)
            : Results.Json(new { status = "ok" }));
        // Not ready while the model loads, nor once the engine has failed for good (so an orchestrator replaces it).
        routes.MapGet("/ready", () => service.Backend switch
        {
            null => Results.Json(new { status = "loading" }, statusCode: 503),
            { Pipeline.Failure: { } failure } => Results.Json(new { status = "failed", error = failure }, statusCode: 503),
            var backend => Results.Json(new { status = "ready", model = backend.Info.Model }),
        });
        routes.MapGet("/status/live", (HttpContext context) =>
            context.Response.WriteAsJsonAsync(service.Require().Status.Live(), HttpBodies.Json, context.RequestAborted));
        var page = ReadDashboard();
        routes.MapGet("/", () => Results.Bytes(page, "text/html; charset=utf-8"));
    }

    static byte[] ReadDashboard()
    {
        using var stream = typeof(OpsRoutes).Assembly.GetManifestResourceStream(DashboardResource)
            ?? throw new InvalidOperationException($"The dashboard page {DashboardResource} is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

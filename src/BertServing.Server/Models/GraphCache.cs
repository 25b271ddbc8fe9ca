using System.Globalization;
using System.Security.Cryptography;

namespace BertServing.Server.Models;

/// <summary>
/// Edited graphs (layers exposed, positions zeroed) on disk under <c>-graph_tmp_dir</c>, keyed by the source graph's
/// hash and the edit, so the next start skips parsing and rewriting the model. The file records the encoder's layer
/// count in its metadata, so a cached graph still validates <c>-pooling_layer</c>.
/// </summary>
public static class GraphCache
{
    /// <summary>Where graphs are cached without <c>-graph_tmp_dir</c>.</summary>
    public static string DefaultDirectory => Path.Combine(Path.GetTempPath(), "bertserving-graphs");

    /// <summary>The edited graph, from the cache or built and cached; <paramref name="layers"/> as the user gave them, null to keep the outputs.</summary>
    public static byte[] GetOrBuild(byte[] source, IReadOnlyList<int>? layers, bool zeroPositions, bool quantize, string? directory, out string path, out bool hit)
    {
        var dir = directory ?? DefaultDirectory;
        var hash = Convert.ToHexStringLower(SHA256.HashData(source))[..16];
        var edit = (layers is null ? "outputs" : "layers" + string.Join('_', layers.Select(l => l.ToString(CultureInfo.InvariantCulture)))) + (zeroPositions ? "-nopos" : "") + (quantize ? "-int8" : "");
        path = Path.Combine(dir, $"{hash}-{edit}.onnx");
        if (File.Exists(path))
        {
            hit = true;
            return File.ReadAllBytes(path);
        }
        hit = false;
        var graph = EncoderGraph.Parse(source);
        var resolved = layers is null ? null : EncoderGraph.ResolveLayers(layers, graph.LayerCount == 0 ? throw NoLayers() : graph.LayerCount);
        var bytes = graph.Expose(resolved, zeroPositions, quantize);
        path = Store(path, bytes);
        return bytes;
    }

    /// <summary>Writes <paramref name="bytes"/> to <paramref name="path"/>; returns the path, or why it could not be cached.</summary>
    internal static string Store(string path, byte[] bytes)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Write then rename: a concurrent or interrupted start never sees half a file.
            var temp = path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "(not cached: " + e.Message + ")";
        }
    }

    static ModelLoadException NoLayers() =>
        new("Cannot find the encoder layers in this graph (no node consumes an 'encoder.layer.N.output.LayerNorm.bias' initializer), so -pooling_layer can only be -1 (the graph's own output).");
}

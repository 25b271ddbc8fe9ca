using System.Security.Cryptography;

namespace BertServing.Server.Models.Weights;

/// <summary>
/// The ONNX graph of a model that ships weights instead of a graph (a Google TensorFlow checkpoint, a Hugging Face
/// <c>model.safetensors</c>): built once with <see cref="BertGraphBuilder"/> and cached under <c>-graph_tmp_dir</c>,
/// keyed by the SHA-256 of the weight files and the config, so the next start only reads the cached file.
/// </summary>
public static class WeightsGraph
{
    /// <summary>The graph for <paramref name="files"/> (weights and config), from the cache or built by <paramref name="load"/>.</summary>
    public static byte[] GetOrBuild(IReadOnlyList<string> files, Func<BertWeights> load, string? directory, out string path, out bool hit)
    {
        var dir = directory ?? GraphCache.DefaultDirectory;
        using (var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            var buffer = new byte[1 << 20];
            foreach (var file in files)
            {
                using var stream = File.OpenRead(file);
                int read;
                while ((read = stream.Read(buffer)) > 0)
                    sha.AppendData(buffer, 0, read);
            }
            path = Path.Combine(dir, Convert.ToHexStringLower(sha.GetHashAndReset())[..16] + "-built.onnx");
        }
        if (File.Exists(path))
        {
            hit = true;
            return File.ReadAllBytes(path);
        }
        hit = false;
        var bytes = BertGraphBuilder.Build(load());
        path = GraphCache.Store(path, bytes);
        return bytes;
    }
}

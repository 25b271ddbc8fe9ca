using System.Buffers.Binary;
using System.Text.Json;

namespace BertServing.Server.Models.Weights;

/// <summary>
/// Reads Hugging Face's <c>model.safetensors</c>: an 8-byte little-endian header length, a JSON header mapping each
/// tensor name to its dtype, shape and byte range, then the raw little-endian data. F32, F16 and BF16 tensors are
/// returned as float32; others (integer buffers such as <c>position_ids</c>) are skipped.
/// </summary>
public static class SafetensorsReader
{
    /// <summary>Every floating-point tensor of <paramref name="path"/>, by name; <see cref="ModelLoadException"/> when malformed.</summary>
    public static Dictionary<string, WeightTensor> Read(string path)
    {
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new ModelLoadException($"Cannot read {path}: {e.Message}");
        }
        if (file.Length < 8)
            throw Bad(path, "shorter than its 8-byte header length");
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(file);
        if (headerLength > (ulong)(file.Length - 8))
            throw Bad(path, $"its header claims {headerLength} bytes but the file has {file.Length}");
        var dataStart = 8 + (int)headerLength;
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        try
        {
            using var header = JsonDocument.Parse(file.AsMemory(8, (int)headerLength));
            foreach (var entry in header.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                    continue;
                var dtype = entry.Value.GetProperty("dtype").GetString();
                var shape = entry.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray();
                var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
                var count = shape.Aggregate(1L, (a, b) => a * b);
                var width = dtype switch { "F32" => 4, "F16" or "BF16" => 2, _ => 0 };
                if (width == 0)
                    continue;
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] - offsets[0] != count * width || dataStart + offsets[1] > file.Length)
                    throw Bad(path, $"tensor '{entry.Name}' ({dtype} [{string.Join(", ", shape)}]) has data_offsets [{string.Join(", ", offsets)}] that do not fit");
                var bytes = file.AsSpan(dataStart + (int)offsets[0], (int)(offsets[1] - offsets[0]));
                var values = new float[count];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = dtype switch
                    {
                        "F32" => BinaryPrimitives.ReadSingleLittleEndian(bytes[(i * 4)..]),
                        "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(i * 2)..]),
                        _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(i * 2)..]) << 16),
                    };
                }
                tensors[entry.Name] = new WeightTensor(shape, values);
            }
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw Bad(path, "its header is not valid safetensors JSON: " + e.Message);
        }
        return tensors;
    }

    static ModelLoadException Bad(string path, string why) => new($"{path} is not a valid safetensors file: {why}.");
}

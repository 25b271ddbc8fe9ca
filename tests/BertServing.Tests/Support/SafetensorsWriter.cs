using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using BertServing.Server.Models.Weights;

namespace BertServing.Tests.Support;

/// <summary>Writes float32 tensors as Hugging Face's safetensors format, for test model folders.</summary>
public static class SafetensorsWriter
{
    public static void Write(string path, IReadOnlyDictionary<string, WeightTensor> tensors)
    {
        var header = new Dictionary<string, object> { ["__metadata__"] = new Dictionary<string, string> { ["format"] = "pt" } };
        long offset = 0;
        foreach (var (name, tensor) in tensors)
        {
            var bytes = tensor.Values.LongLength * sizeof(float);
            header[name] = new Dictionary<string, object> { ["dtype"] = "F32", ["shape"] = tensor.Shape, ["data_offsets"] = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        var json = JsonSerializer.SerializeToUtf8Bytes(header);
        using var file = File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)json.Length);
        file.Write(length);
        file.Write(json);
        foreach (var tensor in tensors.Values)
            file.Write(MemoryMarshal.AsBytes(tensor.Values.AsSpan()));
    }
}

using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace BertServing.Server.Models;

/// <summary>
/// <c>-quantize int8</c>: every MatMul whose weight is a constant becomes ONNX Runtime's
/// <c>com.microsoft.DynamicQuantizeMatMul</c>, with the weight stored as int8 and one symmetric scale per output
/// column; activations are quantized by ORT at run time (VNNI on this CPU). Everything else stays float32, and so does
/// the word-embedding table (a Gather, not a MatMul). Measured on all-MiniLM-L6-v2: 2.35× the float32 speed, cosine to
/// float32 0.987 at worst over 1000 sentences (<c>../shared/docs/measurements.md</c>).
/// </summary>
public static class Int8Quantizer
{
    const string MicrosoftDomain = "com.microsoft";

    /// <summary>Rewrites <paramref name="model"/> in place; returns how many MatMuls were quantized.</summary>
    public static int Apply(ModelProto model)
    {
        var graph = model.Graph;
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var uses = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var input in node.Input)
                uses[input] = uses.GetValueOrDefault(input) + 1;

        var quantized = 0;
        foreach (var node in graph.Node)
        {
            if (node.OpType != "MatMul" || node.Domain.Length > 0 || node.Input.Count != 2
                || !initializers.TryGetValue(node.Input[1], out var weight)
                || weight.DataType != (int)TensorProto.Types.DataType.Float || weight.Dims.Count != 2)
                continue;
            var (values, scales) = Quantize(Floats(weight), (int)weight.Dims[0], (int)weight.Dims[1]);
            var name = weight.Name;
            graph.Initializer.Add(new TensorProto
            {
                Name = name + "_int8", DataType = (int)TensorProto.Types.DataType.Int8, Dims = { weight.Dims }, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())),
            });
            graph.Initializer.Add(new TensorProto
            {
                Name = name + "_scale", DataType = (int)TensorProto.Types.DataType.Float, Dims = { weight.Dims[1] }, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(scales.AsSpan())),
            });
            var input = node.Input[0];
            node.OpType = "DynamicQuantizeMatMul";
            node.Domain = MicrosoftDomain;
            node.Input.Clear();
            node.Input.Add([input, name + "_int8", name + "_scale"]);
            if (--uses[name] == 0)
                graph.Initializer.Remove(weight);
            quantized++;
        }
        if (quantized > 0 && !model.OpsetImport.Any(o => o.Domain == MicrosoftDomain))
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = 1 });
        return quantized;
    }

    /// <summary>Symmetric per-column int8: scale = max |w| / 127 over each column of the [rows, columns] matrix.</summary>
    public static (sbyte[] Values, float[] Scales) Quantize(ReadOnlySpan<float> weights, int rows, int columns)
    {
        var scales = new float[columns];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
                scales[c] = MathF.Max(scales[c], MathF.Abs(weights[r * columns + c]));
        for (var c = 0; c < columns; c++)
            scales[c] = scales[c] > 0 ? scales[c] / 127f : 1f;
        var values = new sbyte[rows * columns];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
                values[r * columns + c] = (sbyte)Math.Clamp(MathF.Round(weights[r * columns + c] / scales[c]), -127, 127);
        return (values, scales);
    }

    static float[] Floats(TensorProto tensor) => tensor.RawData.Length > 0
        ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray()
        : [.. tensor.FloatData];
}

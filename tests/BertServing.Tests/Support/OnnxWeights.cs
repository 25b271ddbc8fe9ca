using System.Runtime.InteropServices;
using BertServing.Server.Models.Weights;
using Onnx;

namespace BertServing.Tests.Support;

/// <summary>
/// The built-in model's real weights under Hugging Face names, taken from its ONNX export, to build the weight-only
/// model folders (safetensors, TensorFlow checkpoints) that real users have. The export keeps Hugging Face names for
/// embeddings, LayerNorms and biases; a linear layer's weight is the constant input of the MatMul (or Gemm) whose
/// result gets that layer's bias added.
/// </summary>
public static class OnnxWeights
{
    public static Dictionary<string, WeightTensor> ExtractHuggingFace(byte[] onnx)
    {
        var graph = ModelProto.Parser.ParseFrom(onnx).Graph;
        var initializers = graph.Initializer.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var producers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var output in node.Output)
                producers[output] = node;

        var weights = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var tensor in graph.Initializer)
        {
            if (tensor.DataType != (int)TensorProto.Types.DataType.Float)
                continue; // buffers such as the int64 position_ids are not weights
            if (tensor.Name.StartsWith("embeddings.", StringComparison.Ordinal) || tensor.Name.StartsWith("encoder.", StringComparison.Ordinal) || tensor.Name.StartsWith("pooler.", StringComparison.Ordinal))
                weights[tensor.Name] = Read(tensor);
        }
        foreach (var node in graph.Node)
        {
            if (node.OpType == "Gemm" && node.Input.Count == 3 && node.Input[2].EndsWith(".bias", StringComparison.Ordinal) && initializers.TryGetValue(node.Input[1], out var gemmWeight))
            {
                var transB = node.Attribute.FirstOrDefault(a => a.Name == "transB")?.I == 1;
                var w = Read(gemmWeight);
                weights[node.Input[2][..^".bias".Length] + ".weight"] = transB ? w : w.Transposed();
                continue;
            }
            if (node.OpType != "Add")
                continue;
            var bias = node.Input.FirstOrDefault(i => i.EndsWith(".bias", StringComparison.Ordinal) && initializers.ContainsKey(i));
            var other = node.Input.FirstOrDefault(i => i != bias);
            if (bias is null || other is null || !producers.TryGetValue(other, out var matmul) || matmul.OpType != "MatMul"
                || !initializers.TryGetValue(matmul.Input[1], out var weight))
                continue;
            weights[bias[..^".bias".Length] + ".weight"] = Read(weight).Transposed(); // MatMul holds [in, out]; Hugging Face stores [out, in]
        }
        return weights;
    }

    static WeightTensor Read(TensorProto tensor) => new(
        [.. tensor.Dims.Select(d => (int)d)],
        tensor.RawData.Length > 0 ? MemoryMarshal.Cast<byte, float>(tensor.RawData.Span).ToArray() : [.. tensor.FloatData]);
}

using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace BertServing.Server.Models.Weights;

/// <summary>
/// Builds the ONNX graph of a BERT encoder from its weights, with the same inputs and outputs a Hugging Face export
/// has (<c>input_ids</c>, <c>attention_mask</c>, <c>token_type_ids</c> → <c>last_hidden_state</c>, and
/// <c>pooler_output</c> when the weights have a pooler). Each layer ends in a LayerNormalization that reads
/// <c>encoder.layer.N.output.LayerNorm.bias</c>, so <see cref="EncoderGraph"/> finds every layer for
/// <c>-pooling_layer</c> as it does in exported graphs. Written with ONNX's protobuf types, opset 17.
/// </summary>
public sealed class BertGraphBuilder
{
    const long Opset = 17;

    readonly GraphProto _graph = new() { Name = "bert" };
    readonly BertWeights _weights;
    int _next;

    BertGraphBuilder(BertWeights weights) => _weights = weights;

    /// <summary>The serialized ONNX model for <paramref name="weights"/>.</summary>
    public static byte[] Build(BertWeights weights) => new BertGraphBuilder(weights).BuildModel().ToByteArray();

    ModelProto BuildModel()
    {
        var c = _weights.Config;
        foreach (var input in new[] { "input_ids", "attention_mask", "token_type_ids" })
            _graph.Input.Add(Info(input, TensorProto.Types.DataType.Int64, "batch", "sequence"));

        // Embeddings: word + position + token type, then LayerNorm.
        var words = Node("Gather", [Weight("embeddings.word_embeddings.weight"), "input_ids"]);
        var length = Node("Gather", [Node("Shape", ["input_ids"]), Int64("one_index", [], 1)], ("axis", 0L));
        var positionIds = Node("Unsqueeze", [Node("Range", [Int64("zero", [], 0), length, Int64("one", [], 1)]), Int64("axis0", [1], 0)]);
        var positions = Node("Gather", [Weight("embeddings.position_embeddings.weight"), positionIds]);
        var types = Node("Gather", [Weight("embeddings.token_type_embeddings.weight"), "token_type_ids"]);
        var hidden = LayerNorm(Node("Add", [Node("Add", [words, positions]), types]), "embeddings.LayerNorm");

        // Padding gets a large negative score before softmax, as BERT's extended attention mask does.
        var mask = Node("Unsqueeze", [Node("Cast", ["attention_mask"], ("to", (long)TensorProto.Types.DataType.Float)), Int64("axes12", [2], 1, 2)]);
        var maskBias = Node("Mul", [Node("Sub", [Float("one_f", 1f), mask]), Float("mask_value", -10000f)]);

        for (var l = 0; l < c.Layers; l++)
            hidden = Layer(hidden, maskBias, "encoder.layer." + l.ToString(CultureInfo.InvariantCulture) + ".");

        _graph.Node.Add(new NodeProto { OpType = "Identity", Name = "last_hidden_state", Input = { hidden }, Output = { "last_hidden_state" } });
        _graph.Output.Add(Info("last_hidden_state", TensorProto.Types.DataType.Float, "batch", "sequence", c.HiddenSize));
        if (_weights.HasPooler)
        {
            var first = Node("Gather", [hidden, Int64("zero_index", [], 0)], ("axis", 1L));
            var pooled = Node("Tanh", [Linear(first, "pooler.dense")]);
            _graph.Node.Add(new NodeProto { OpType = "Identity", Name = "pooler_output", Input = { pooled }, Output = { "pooler_output" } });
            _graph.Output.Add(Info("pooler_output", TensorProto.Types.DataType.Float, "batch", c.HiddenSize));
        }
        var model = new ModelProto { IrVersion = 8, ProducerName = "bertserving", Graph = _graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        return model;
    }

    string Layer(string input, string maskBias, string p)
    {
        var c = _weights.Config;
        var headSize = c.HiddenSize / c.Heads;
        var split = Int64("split_heads", [4], 0, 0, c.Heads, headSize);
        string Heads(string x, long[] perm) => Node("Transpose", [Node("Reshape", [x, split])], ("perm", perm));
        var query = Heads(Linear(input, p + "attention.self.query"), [0, 2, 1, 3]);
        var key = Heads(Linear(input, p + "attention.self.key"), [0, 2, 3, 1]);
        var value = Heads(Linear(input, p + "attention.self.value"), [0, 2, 1, 3]);
        var scores = Node("Add", [Node("Div", [Node("MatMul", [query, key]), Float("sqrt_head", MathF.Sqrt(headSize))]), maskBias]);
        var context = Node("MatMul", [Node("Softmax", [scores], ("axis", -1L)), value]);
        var merged = Node("Reshape", [Node("Transpose", [context], ("perm", new long[] { 0, 2, 1, 3 })), Int64("merge_heads", [3], 0, 0, c.HiddenSize)]);
        var attention = LayerNorm(Node("Add", [Linear(merged, p + "attention.output.dense"), input]), p + "attention.output.LayerNorm");
        var intermediate = Gelu(Linear(attention, p + "intermediate.dense"));
        return LayerNorm(Node("Add", [Linear(intermediate, p + "output.dense"), attention]), p + "output.LayerNorm");
    }

    /// <summary>x W^T + b, with W stored as the <c>[in, out]</c> matrix MatMul takes.</summary>
    string Linear(string x, string prefix)
    {
        var weight = _weights[prefix + ".weight"].Transposed();
        var name = prefix + ".weight_t";
        AddInitializer(name, [weight.Shape[0], weight.Shape[1]], weight.Values);
        return Node("Add", [Node("MatMul", [x, name]), Weight(prefix + ".bias")]);
    }

    // BERT's exact GELU: x/2 (1 + erf(x / sqrt 2)).
    string Gelu(string x) =>
        Node("Mul", [Node("Mul", [x, Node("Add", [Node("Erf", [Node("Div", [x, Float("sqrt2", MathF.Sqrt(2f))])]), Float("one_f", 1f)])]), Float("half", 0.5f)]);

    string LayerNorm(string x, string prefix) =>
        Node("LayerNormalization", [x, Weight(prefix + ".weight"), Weight(prefix + ".bias")], ("axis", -1L), ("epsilon", _weights.Config.LayerNormEps));

    string Node(string op, string[] inputs, params (string Name, object Value)[] attributes)
    {
        var output = op.ToLowerInvariant() + "_" + (_next++).ToString(CultureInfo.InvariantCulture);
        var node = new NodeProto { OpType = op, Name = output, Input = { inputs }, Output = { output } };
        foreach (var (name, value) in attributes)
        {
            node.Attribute.Add(value switch
            {
                long i => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = i },
                float f => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = f },
                long[] ints => new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { ints } },
                _ => throw new ArgumentException($"Unsupported attribute {name}.", nameof(attributes)),
            });
        }
        _graph.Node.Add(node);
        return output;
    }

    /// <summary>A weight under its Hugging Face name, added once.</summary>
    string Weight(string name)
    {
        if (!_graph.Initializer.Any(i => i.Name == name))
        {
            var tensor = _weights[name];
            AddInitializer(name, [.. tensor.Shape.Select(d => (long)d)], tensor.Values);
        }
        return name;
    }

    void AddInitializer(string name, long[] dims, float[] values) => _graph.Initializer.Add(new TensorProto
    {
        Name = name, DataType = (int)TensorProto.Types.DataType.Float, Dims = { dims }, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())),
    });

    string Float(string name, float value)
    {
        if (!_graph.Initializer.Any(i => i.Name == name))
            AddInitializer(name, [], [value]);
        return name;
    }

    string Int64(string name, long[] dims, params long[] values)
    {
        if (!_graph.Initializer.Any(i => i.Name == name))
        {
            _graph.Initializer.Add(new TensorProto
            {
                Name = name, DataType = (int)TensorProto.Types.DataType.Int64, Dims = { dims }, RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(values.AsSpan())),
            });
        }
        return name;
    }

    static ValueInfoProto Info(string name, TensorProto.Types.DataType type, params object[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
            shape.Dim.Add(dim is int size ? new TensorShapeProto.Types.Dimension { DimValue = size } : new TensorShapeProto.Types.Dimension { DimParam = (string)dim });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}

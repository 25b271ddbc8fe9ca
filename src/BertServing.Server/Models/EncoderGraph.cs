using System.Text.RegularExpressions;
using Google.Protobuf;
using Onnx;

namespace BertServing.Server.Models;

/// <summary>
/// A BERT encoder's ONNX graph, opened for editing. Exports usually output only the last hidden state; bert-as-service
/// pools any layer, so this finds each encoder layer's output tensor (the node that consumes
/// <c>encoder.layer.N.output.LayerNorm.bias</c> produces it, whether LayerNorm is one op or decomposed), makes the
/// wanted ones the graph's outputs, and drops every node past the deepest one: a shallower layer then costs less.
/// </summary>
/// <remarks>One edit per instance: <see cref="Expose"/> changes the parsed model in place.</remarks>
public sealed partial class EncoderGraph
{
    readonly ModelProto _model;
    readonly string[] _layerOutputs;

    EncoderGraph(ModelProto model, string[] layerOutputs)
    {
        _model = model;
        _layerOutputs = layerOutputs;
    }

    /// <summary>Encoder layers found in the graph.</summary>
    public int LayerCount => _layerOutputs.Length;

    /// <summary>Parses <paramref name="onnx"/> and finds its encoder layers; throws <see cref="ModelLoadException"/> when it is not ONNX.</summary>
    public static EncoderGraph Parse(byte[] onnx)
    {
        ModelProto model;
        try
        {
            model = ModelProto.Parser.ParseFrom(onnx);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelLoadException($"The model could not be loaded: it is not a valid ONNX file ({e.Message}).");
        }
        var graph = model.Graph ?? throw new ModelLoadException("The ONNX file has no graph.");

        var consumers = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var input in node.Input)
                consumers.TryAdd(input, node);

        var layers = new SortedDictionary<int, string>();
        foreach (var initializer in graph.Initializer)
        {
            var match = LayerBias().Match(initializer.Name);
            if (match.Success && consumers.TryGetValue(initializer.Name, out var node) && node.Output.Count > 0)
                layers[int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)] = node.Output[0];
        }
        // Layers must be numbered 0..n-1 without gaps, or the indexing the user gives would be wrong.
        if (layers.Count > 0 && layers.Keys.Last() != layers.Count - 1)
            layers.Clear();
        return new EncoderGraph(model, [.. layers.Values]);
    }

    /// <summary>
    /// Turns bert-as-service's Python-style indices (-1 = last, 0 = first) into 0-based layer numbers; throws
    /// <see cref="ModelLoadException"/> naming the valid range.
    /// </summary>
    public static int[] ResolveLayers(IReadOnlyList<int> requested, int layerCount) =>
        [.. requested.Select(index =>
        {
            var resolved = index < 0 ? layerCount + index : index;
            return resolved >= 0 && resolved < layerCount
                ? resolved
                : throw new ModelLoadException($"-pooling_layer {index} is out of range: the model has {layerCount} encoder layers, so use -{layerCount}..-1 or 0..{layerCount - 1}.");
        })];

    /// <summary>Metadata key under which an edited graph records the source's encoder layer count.</summary>
    public const string LayerCountKey = "bertserving.encoder_layers";

    /// <summary>
    /// A new graph whose outputs are the given 0-based layers' hidden states (named by <see cref="OutputName"/>), cut
    /// after the deepest, or the original outputs when <paramref name="layers"/> is null; with
    /// <paramref name="zeroPositions"/>, the position-embedding table is all zeros.
    /// </summary>
    /// <param name="layers">0-based layers to output, or null for the graph's own outputs.</param>
    /// <param name="zeroPositions">Zero the position-embedding table.</param>
    /// <param name="quantize">Quantize the constant-weight MatMuls to int8 (<see cref="Int8Quantizer"/>).</param>
    public byte[] Expose(IReadOnlyList<int>? layers, bool zeroPositions, bool quantize = false)
    {
        // Edits happen on the parsed model itself: cloning 90 MB of weights would double the start-up memory.
        var graph = _model.Graph;
        if (layers is not null)
        {
            if (LayerCount == 0)
                throw new ModelLoadException("Cannot find the encoder layers in this graph (no node consumes an 'encoder.layer.N.output.LayerNorm.bias' initializer), so -pooling_layer can only be -1 (the graph's own output).");
            // An Identity per wanted layer: the original tensor may feed later layers, and output names must be ours.
            graph.Output.Clear();
            foreach (var layer in layers.Distinct())
            {
                var name = OutputName(layer);
                graph.Node.Add(new NodeProto { OpType = "Identity", Name = "bertserving_" + name, Input = { _layerOutputs[layer] }, Output = { name } });
                graph.Output.Add(HiddenStateInfo(name, HiddenSize()));
            }
            Prune(graph);
        }
        if (zeroPositions)
            ZeroPositionTable(graph);
        if (quantize && Int8Quantizer.Apply(_model) == 0)
            throw new ModelLoadException("-quantize int8: the graph has no MatMul with a constant float weight to quantize.");
        _model.MetadataProps.Add(new StringStringEntryProto { Key = LayerCountKey, Value = LayerCount.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        return _model.ToByteArray();
    }

    /// <summary>The hidden size: the last dimension of a 3-D output, else the word-embedding table's width.</summary>
    int HiddenSize()
    {
        foreach (var output in _model.Graph.Output)
        {
            var dims = output.Type?.TensorType?.Shape?.Dim;
            if (dims is { Count: 3 } && dims[2].DimValue > 0)
                return (int)dims[2].DimValue;
        }
        var table = _model.Graph.Initializer.FirstOrDefault(i => i.Name.EndsWith("embeddings.word_embeddings.weight", StringComparison.Ordinal) && i.Dims.Count == 2);
        return table is not null ? (int)table.Dims[1] : throw new ModelLoadException("Cannot tell the model's hidden size from its outputs or embedding table.");
    }

    /// <summary>The output name <see cref="Expose"/> gives layer <paramref name="layer"/>.</summary>
    public static string OutputName(int layer) => "layer_" + layer.ToString(System.Globalization.CultureInfo.InvariantCulture);

    static ValueInfoProto HiddenStateInfo(string name, int hiddenSize) => new()
    {
        Name = name,
        Type = new TypeProto
        {
            TensorType = new TypeProto.Types.Tensor
            {
                ElemType = (int)TensorProto.Types.DataType.Float,
                Shape = new TensorShapeProto
                {
                    Dim =
                    {
                        new TensorShapeProto.Types.Dimension { DimParam = "batch" },
                        new TensorShapeProto.Types.Dimension { DimParam = "sequence" },
                        new TensorShapeProto.Types.Dimension { DimValue = hiddenSize },
                    },
                },
            },
        },
    };

    /// <summary>Keeps only the nodes and initializers the outputs need. Graph inputs stay, so the signature does not change.</summary>
    static void Prune(GraphProto graph)
    {
        // Subgraphs (If/Loop) can read outer tensors by name; BERT exports have none, and pruning would be unsafe.
        if (graph.Node.Any(n => n.Attribute.Any(a => a.G is not null || a.Graphs.Count > 0)))
            return;
        var producer = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var node in graph.Node)
            foreach (var output in node.Output)
                producer[output] = node;

        var needed = new HashSet<string>(StringComparer.Ordinal);
        var keep = new HashSet<NodeProto>(ReferenceEqualityComparer.Instance);
        var pending = new Stack<string>(graph.Output.Select(o => o.Name));
        while (pending.TryPop(out var tensor))
        {
            if (!needed.Add(tensor) || !producer.TryGetValue(tensor, out var node) || !keep.Add(node))
                continue;
            foreach (var input in node.Input)
                if (input.Length > 0)
                    pending.Push(input);
        }
        var nodes = graph.Node.Where(keep.Contains).ToList(); // original order is a valid topological order
        graph.Node.Clear();
        graph.Node.AddRange(nodes);
        var initializers = graph.Initializer.Where(i => needed.Contains(i.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.AddRange(initializers);
        var infos = graph.ValueInfo.Where(v => needed.Contains(v.Name)).ToList();
        graph.ValueInfo.Clear();
        graph.ValueInfo.AddRange(infos);
    }

    static void ZeroPositionTable(GraphProto graph)
    {
        var table = graph.Initializer.FirstOrDefault(i => PositionTable().IsMatch(i.Name))
            ?? throw new ModelLoadException("-no_position_embeddings: the graph has no 'embeddings.position_embeddings.weight' table to disable.");
        var count = table.Dims.Aggregate(1L, (a, b) => a * b);
        table.ClearRawDataAndFloats();
        table.RawData = ByteString.CopyFrom(new byte[checked(count * sizeof(float))]);
    }

    [GeneratedRegex(@"^(?:bert\.)?encoder\.layer\.(\d+)\.output\.LayerNorm\.(?:bias|beta)$")]
    private static partial Regex LayerBias();

    [GeneratedRegex(@"^(?:bert\.)?embeddings\.position_embeddings\.weight$")]
    private static partial Regex PositionTable();
}

static class TensorProtoExtensions
{
    /// <summary>Clears every typed payload so <c>RawData</c> alone holds the values.</summary>
    public static void ClearRawDataAndFloats(this TensorProto tensor)
    {
        tensor.FloatData.Clear();
        tensor.RawData = ByteString.Empty;
        tensor.DataLocation = TensorProto.Types.DataLocation.Default;
        tensor.ExternalData.Clear();
    }
}

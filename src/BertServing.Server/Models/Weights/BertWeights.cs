using System.Globalization;
using System.Text.RegularExpressions;

namespace BertServing.Server.Models.Weights;

/// <summary>
/// A BERT encoder's weights under Hugging Face's names (<c>encoder.layer.0.attention.self.query.weight</c>, linear
/// weights as <c>[out, in]</c>), whichever file they came from: Hugging Face names with or without the <c>bert.</c>
/// prefix, or Google's TensorFlow names (<c>bert/encoder/layer_0/attention/self/query/kernel</c>, kernels as
/// <c>[in, out]</c>). Checked against the config: every tensor the encoder needs is there, with its shape.
/// </summary>
public sealed partial class BertWeights
{
    readonly Dictionary<string, WeightTensor> _tensors;

    BertWeights(Dictionary<string, WeightTensor> tensors, BertConfig config)
    {
        _tensors = tensors;
        Config = config;
    }

    /// <summary>The architecture.</summary>
    public BertConfig Config { get; }

    /// <summary>Whether the checkpoint has the pooler (<c>CLS_POOLED</c> needs it).</summary>
    public bool HasPooler => _tensors.ContainsKey("pooler.dense.weight") && _tensors.ContainsKey("pooler.dense.bias");

    /// <summary>The tensor <paramref name="name"/> (Hugging Face name, no prefix).</summary>
    public WeightTensor this[string name] => _tensors[name];

    /// <summary>Names <paramref name="raw"/>'s tensors the Hugging Face way and checks them; <see cref="ModelLoadException"/> naming what is missing or wrong.</summary>
    public static BertWeights From(IReadOnlyDictionary<string, WeightTensor> raw, BertConfig config, string source)
    {
        if (raw.Keys.FirstOrDefault(k => k.StartsWith("roberta.", StringComparison.Ordinal) || k.StartsWith("albert.", StringComparison.Ordinal) || k.Contains("albert_layer_groups", StringComparison.Ordinal)) is { } foreign)
            throw new ModelLoadException($"{source} holds '{foreign}': RoBERTa and ALBERT weights are laid out differently from BERT's and cannot be served.");
        var tensors = new Dictionary<string, WeightTensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in raw)
        {
            if (Canonical(name) is { } canonical)
                tensors[canonical.Name] = canonical.Transpose ? tensor.Transposed() : tensor;
        }
        var weights = new BertWeights(tensors, config);
        weights.Check(source);
        return weights;
    }

    void Check(string source)
    {
        var c = Config;
        var expected = new List<(string Name, int[] Shape)>
        {
            ("embeddings.word_embeddings.weight", [c.VocabSize, c.HiddenSize]),
            ("embeddings.position_embeddings.weight", [c.MaxPositions, c.HiddenSize]),
            ("embeddings.token_type_embeddings.weight", [c.TypeVocabSize, c.HiddenSize]),
            ("embeddings.LayerNorm.weight", [c.HiddenSize]),
            ("embeddings.LayerNorm.bias", [c.HiddenSize]),
        };
        for (var l = 0; l < c.Layers; l++)
        {
            var p = $"encoder.layer.{l.ToString(CultureInfo.InvariantCulture)}.";
            foreach (var part in new[] { "attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense" })
                expected.AddRange([(p + part + ".weight", [c.HiddenSize, c.HiddenSize]), (p + part + ".bias", [c.HiddenSize])]);
            expected.AddRange([
                (p + "attention.output.LayerNorm.weight", [c.HiddenSize]), (p + "attention.output.LayerNorm.bias", [c.HiddenSize]),
                (p + "intermediate.dense.weight", [c.IntermediateSize, c.HiddenSize]), (p + "intermediate.dense.bias", [c.IntermediateSize]),
                (p + "output.dense.weight", [c.HiddenSize, c.IntermediateSize]), (p + "output.dense.bias", [c.HiddenSize]),
                (p + "output.LayerNorm.weight", [c.HiddenSize]), (p + "output.LayerNorm.bias", [c.HiddenSize]),
            ]);
        }
        var missing = expected.Where(e => !_tensors.ContainsKey(e.Name)).Select(e => e.Name).ToList();
        if (missing.Count > 0)
            throw new ModelLoadException($"{source} lacks {missing.Count} tensor(s) a {c.Layers}-layer BERT encoder needs: {string.Join(", ", missing.Take(5))}{(missing.Count > 5 ? ", ..." : "")}.");
        foreach (var (name, shape) in expected)
        {
            var actual = _tensors[name].Shape;
            if (!actual.SequenceEqual(shape))
                throw new ModelLoadException($"{source}: tensor {name} has shape [{string.Join(", ", actual)}], but the config asks for [{string.Join(", ", shape)}].");
        }
    }

    /// <summary>The Hugging Face name for a stored name, whether a kernel needs transposing; null for tensors the encoder does not use.</summary>
    static (string Name, bool Transpose)? Canonical(string name)
    {
        if (name.Contains('/', StringComparison.Ordinal))
        {
            // Google's TensorFlow names; optimizer slots, the MLM/NSP heads and global_step are not the encoder.
            if (!name.StartsWith("bert/", StringComparison.Ordinal) || name.Contains("adam_", StringComparison.Ordinal))
                return null;
            var path = LayerIndex().Replace(name["bert/".Length..], "layer.$1").Replace('/', '.');
            if (path.EndsWith(".kernel", StringComparison.Ordinal))
                return (path[..^".kernel".Length] + ".weight", true);
            if (path.EndsWith(".gamma", StringComparison.Ordinal))
                return (path[..^".gamma".Length] + ".weight", false);
            if (path.EndsWith(".beta", StringComparison.Ordinal))
                return (path[..^".beta".Length] + ".bias", false);
            return path.StartsWith("embeddings.", StringComparison.Ordinal) && path.EndsWith("_embeddings", StringComparison.Ordinal)
                ? (path + ".weight", false) : (path, false);
        }
        var hf = name.StartsWith("bert.", StringComparison.Ordinal) ? name["bert.".Length..] : name;
        // Old Hugging Face checkpoints still say gamma/beta for LayerNorm.
        hf = hf.Replace("LayerNorm.gamma", "LayerNorm.weight", StringComparison.Ordinal).Replace("LayerNorm.beta", "LayerNorm.bias", StringComparison.Ordinal);
        return hf.StartsWith("embeddings.", StringComparison.Ordinal) || hf.StartsWith("encoder.", StringComparison.Ordinal) || hf.StartsWith("pooler.", StringComparison.Ordinal)
            ? (hf, false) : null;
    }

    [GeneratedRegex(@"layer_(\d+)")]
    private static partial Regex LayerIndex();
}

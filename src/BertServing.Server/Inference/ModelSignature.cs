using Microsoft.ML.OnnxRuntime;

namespace BertServing.Server.Inference;

/// <summary>
/// The inputs and outputs of a BERT encoder graph, read from its metadata. <see cref="Outputs"/> are fetched once
/// each; <see cref="Layout"/> lists them in the order they are concatenated per token (bert-as-service concatenates
/// <c>-pooling_layer</c> layers on the last axis, repeats included).
/// </summary>
public sealed record ModelSignature(string InputIds, string AttentionMask, string? TokenTypeIds, string[] Outputs, int[] Layout, int HiddenSize, bool Pooled)
{
    /// <summary>Floats per token after concatenation (or per sentence for the pooler output).</summary>
    public int Width => HiddenSize * Layout.Length;

    /// <summary>
    /// Reads the signature; throws <see cref="InvalidDataException"/> for a graph that is not a BERT encoder.
    /// </summary>
    /// <param name="session">The loaded model.</param>
    /// <param name="layers">Output names to concatenate per token, in order; null for the last hidden state.</param>
    /// <param name="pooled">Use the graph's pooler output (<c>[batch, hidden]</c>, CLS_POOLED) instead of token states.</param>
    public static ModelSignature Read(InferenceSession session, IReadOnlyList<string>? layers = null, bool pooled = false)
    {
        var inputs = session.InputMetadata;
        string Require(string name) => inputs.ContainsKey(name)
            ? name
            : throw new InvalidDataException($"The model has no input '{name}' (it has {string.Join(", ", inputs.Keys)}); a BERT encoder takes input_ids and attention_mask.");
        var ids = Require("input_ids");
        var mask = Require("attention_mask");
        var types = inputs.ContainsKey("token_type_ids") ? "token_type_ids" : null;
        var outputs = session.OutputMetadata;
        string Describe() => string.Join(", ", outputs.Select(o => $"{o.Key} [{string.Join(", ", o.Value.Dimensions)}]"));

        if (pooled)
        {
            var pooler = outputs.ContainsKey("pooler_output")
                ? outputs.First(o => o.Key == "pooler_output")
                : outputs.FirstOrDefault(o => o.Value.Dimensions.Length == 2);
            if (pooler.Key is null)
                throw new InvalidDataException($"-pooling_strategy CLS_POOLED needs the model's pooler output, a [batch, hidden] output; this graph has only {Describe()}.");
            return new ModelSignature(ids, mask, types, [pooler.Key], [0], HiddenOf(pooler), true);
        }

        if (layers is not null)
        {
            var distinct = layers.Distinct().ToArray();
            var missing = distinct.FirstOrDefault(l => !outputs.ContainsKey(l));
            if (missing is not null)
                throw new InvalidDataException($"The edited model lacks output '{missing}'.");
            var layout = layers.Select(l => Array.IndexOf(distinct, l)).ToArray();
            var sizes = distinct.Select(l => HiddenOf(outputs.First(o => o.Key == l))).Distinct().ToArray();
            if (sizes.Length != 1)
                throw new InvalidDataException("The chosen layers have different hidden sizes.");
            return new ModelSignature(ids, mask, types, distinct, layout, sizes[0], false);
        }

        // Prefer the conventional name; otherwise the first [batch, sequence, hidden] output.
        var hidden = outputs.ContainsKey("last_hidden_state")
            ? outputs.First(o => o.Key == "last_hidden_state")
            : outputs.FirstOrDefault(o => o.Value.Dimensions.Length == 3);
        if (hidden.Key is null)
            throw new InvalidDataException($"The model has no [batch, sequence, hidden] output (it has {Describe()}).");
        return new ModelSignature(ids, mask, types, [hidden.Key], [0], HiddenOf(hidden), false);
    }

    static int HiddenOf(KeyValuePair<string, NodeMetadata> output)
    {
        var size = output.Value.Dimensions[^1];
        return size > 0 ? size : throw new InvalidDataException($"The model's output '{output.Key}' has no fixed hidden size.");
    }
}

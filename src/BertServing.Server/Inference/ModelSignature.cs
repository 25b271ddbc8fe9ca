using Microsoft.ML.OnnxRuntime;

namespace BertServing.Server.Inference;

/// <summary>The inputs and output of a BERT encoder graph, read from its metadata.</summary>
public sealed record ModelSignature(string InputIds, string AttentionMask, string? TokenTypeIds, string HiddenStates, int HiddenSize)
{
    /// <summary>Reads the signature; throws <see cref="InvalidDataException"/> for a graph that is not a BERT encoder.</summary>
    public static ModelSignature Read(InferenceSession session)
    {
        var inputs = session.InputMetadata;
        string Require(string name) => inputs.ContainsKey(name)
            ? name
            : throw new InvalidDataException($"The model has no input '{name}' (it has {string.Join(", ", inputs.Keys)}); a BERT encoder takes input_ids and attention_mask.");
        var ids = Require("input_ids");
        var mask = Require("attention_mask");
        var types = inputs.ContainsKey("token_type_ids") ? "token_type_ids" : null;

        // Prefer the conventional name; otherwise the first [batch, sequence, hidden] output.
        var outputs = session.OutputMetadata;
        var hidden = outputs.TryGetValue("last_hidden_state", out var meta)
            ? new KeyValuePair<string, NodeMetadata>("last_hidden_state", meta)
            : outputs.FirstOrDefault(o => o.Value.Dimensions.Length == 3);
        if (hidden.Key is null)
            throw new InvalidDataException($"The model has no [batch, sequence, hidden] output (it has {string.Join(", ", outputs.Keys)}).");
        var size = hidden.Value.Dimensions[2];
        if (size <= 0)
            throw new InvalidDataException($"The model's output '{hidden.Key}' has no fixed hidden size.");
        return new ModelSignature(ids, mask, types, hidden.Key, size);
    }
}

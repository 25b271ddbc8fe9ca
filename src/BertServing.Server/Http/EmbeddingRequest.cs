using System.Text.Json;
using BertServing.Server.Input;
using BertServing.Server.Tokenization;

namespace BertServing.Server.Http;

/// <summary>An OpenAI <c>CreateEmbeddingRequest</c>, checked: each refusal is a 400 naming the field at fault.</summary>
sealed record EmbeddingRequest(IReadOnlyList<string>? Texts, IReadOnlyList<IReadOnlyList<string>>? Tokenized, string? Model, bool Base64, int? Dimensions)
{
    public static EmbeddingRequest Read(JsonElement root, int dimension, int maxInputs, Vocabulary vocabulary)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw Bad("The body must be a JSON object with 'input' and 'model'.", null);
        if (!root.TryGetProperty("input", out var input))
            throw Bad("'input' is required: a string, a list of strings, a list of token ids or a list of such lists.", "input");

        string? model = null;
        if (root.TryGetProperty("model", out var m) && m.ValueKind != JsonValueKind.Null)
            model = m.ValueKind == JsonValueKind.String && JsonSentences.TryGetText(m, out var name) ? name : throw Bad("'model' must be a valid string.", "model");

        var base64 = false;
        if (root.TryGetProperty("encoding_format", out var format) && format.ValueKind != JsonValueKind.Null)
        {
            base64 = format.ValueKind == JsonValueKind.String && JsonSentences.TryGetText(format, out var formatName) ? formatName switch
            {
                "float" => false,
                "base64" => true,
                var other => throw Bad($"'encoding_format' must be 'float' or 'base64', got '{other}'.", "encoding_format"),
            } : throw Bad("'encoding_format' must be 'float' or 'base64'.", "encoding_format");
        }

        int? dimensions = null;
        if (root.TryGetProperty("dimensions", out var d) && d.ValueKind != JsonValueKind.Null)
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out var n) || n < 1 || n > dimension)
                throw Bad($"'dimensions' must be an integer from 1 to {dimension}, this model's size.", "dimensions");
            dimensions = n;
        }

        var (texts, tokenized) = ReadInput(input, maxInputs, vocabulary);
        return new EmbeddingRequest(texts, tokenized, model, base64, dimensions);
    }

    static (IReadOnlyList<string>?, IReadOnlyList<IReadOnlyList<string>>?) ReadInput(JsonElement input, int maxInputs, Vocabulary vocabulary)
    {
        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                return ([Text(input, 0)], null);
            case JsonValueKind.Array:
                var count = input.GetArrayLength();
                if (count == 0)
                    throw Bad("'input' is an empty list; send at least one input.", "input");
                if (input[0].ValueKind == JsonValueKind.Number)
                    return (null, [Ids(input, 0, vocabulary)]);
                if (count > maxInputs)
                    throw new HttpFailureException(413, "TooLarge", $"'input' has {count} items; the limit is {maxInputs} (-max_request_sentences). Split it.", "input");
                if (input[0].ValueKind == JsonValueKind.Array)
                {
                    var sentences = new IReadOnlyList<string>[count];
                    for (var i = 0; i < count; i++)
                        sentences[i] = input[i].ValueKind == JsonValueKind.Array
                            ? Ids(input[i], i, vocabulary)
                            : throw Bad($"'input' item {i} is a {input[i].ValueKind}; a list of token-id lists holds only lists.", "input");
                    return (null, sentences);
                }
                var texts = new string[count];
                for (var i = 0; i < count; i++)
                    texts[i] = Text(input[i], i);
                return (texts, null);
            default:
                throw Bad($"'input' must be a string or a list, got a {input.ValueKind}.", "input");
        }
    }

    static string Text(JsonElement element, int index)
    {
        if (element.ValueKind != JsonValueKind.String)
            throw Bad($"'input' item {index} is a {element.ValueKind}; a list of strings holds only strings.", "input");
        if (!JsonSentences.TryGetText(element, out var text))
            throw Bad($"'input' item {index} is not valid UTF-8.", "input");
        return string.IsNullOrWhiteSpace(text) ? throw Bad($"'input' item {index} is empty or whitespace; it cannot be embedded.", "input") : text;
    }

    /// <summary>Token ids as the vocabulary's tokens: the pre-tokenized path looks each up again, as given.</summary>
    static string[] Ids(JsonElement list, int index, Vocabulary vocabulary)
    {
        if (list.GetArrayLength() == 0)
            throw Bad($"'input' item {index} is an empty list of token ids.", "input");
        var tokens = new string[list.GetArrayLength()];
        var j = 0;
        foreach (var id in list.EnumerateArray())
        {
            if (id.ValueKind != JsonValueKind.Number || !id.TryGetInt32(out var value) || value < 0 || value >= vocabulary.Count)
                throw Bad($"Token {j} of 'input' item {index} is not a token id of this model (0 to {vocabulary.Count - 1}).", "input");
            tokens[j++] = vocabulary.GetToken(value);
        }
        return tokens;
    }

    static HttpFailureException Bad(string message, string? param) => new(400, "invalid_request", message, param);
}

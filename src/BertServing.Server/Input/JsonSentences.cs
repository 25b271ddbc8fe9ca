using System.Text.Json;
using ErrorCode = BertServing.Client.Protocol.ErrorCode;

namespace BertServing.Server.Input;

/// <summary>
/// Reads bert-as-service's JSON sentence lists, shared by the fronts that take them (bert-serving-client's <c>msg</c>,
/// the HTTP <c>/encode</c> route's <c>texts</c>): a list of strings, or a list of lists of strings for pre-tokenized
/// input, every sentence non-empty. Each refusal names the element at fault.
/// </summary>
public static class JsonSentences
{
    /// <summary>Sentences read, or why not.</summary>
    public readonly record struct Outcome(IReadOnlyList<string>? Texts, IReadOnlyList<IReadOnlyList<string>>? Tokenized, ErrorCode Error, string? Message)
    {
        /// <summary>How many sentences were read.</summary>
        public int Count => Texts?.Count ?? Tokenized?.Count ?? 0;
    }

    /// <summary>Reads <paramref name="root"/>, which the caller calls <paramref name="name"/> in messages.</summary>
    /// <param name="root">The JSON list.</param>
    /// <param name="name">What the caller calls it (<c>msg</c>, <c>texts</c>).</param>
    /// <param name="maxSentences">More sentences than this are refused as too large.</param>
    /// <param name="tokenized">True or false to require that form; null to take the form of the first element.</param>
    public static Outcome Read(JsonElement root, string name, int maxSentences, bool? tokenized = null)
    {
        if (root.ValueKind != JsonValueKind.Array)
            return Refuse(ErrorCode.BadRequest, $"{name} must be a JSON list of strings or of lists of strings, got a {root.ValueKind}.");
        var count = root.GetArrayLength();
        if (count == 0)
            return Refuse(ErrorCode.BadRequest, $"{name} is an empty list; send at least one sentence.");
        if (count > maxSentences)
            return Refuse(ErrorCode.TooLarge, $"The request has {count} sentences; the limit is {maxSentences} (-max_request_sentences). Split it.");
        return tokenized ?? root[0].ValueKind == JsonValueKind.Array ? ReadTokenized(root) : ReadTexts(root);
    }

    static Outcome ReadTexts(JsonElement root)
    {
        var texts = new string[root.GetArrayLength()];
        var i = 0;
        foreach (var element in root.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.String)
                return Refuse(ErrorCode.BadRequest, $"Element {i} is a {element.ValueKind}; all elements must be strings (or all lists of strings).");
            if (!TryGetText(element, out var text))
                return Refuse(ErrorCode.BadRequest, $"Element {i} is not valid UTF-8.");
            if (string.IsNullOrWhiteSpace(text))
                return Refuse(ErrorCode.BadRequest, $"Element {i} is empty or whitespace.");
            texts[i++] = text;
        }
        return new(texts, null, ErrorCode.None, null);
    }

    static Outcome ReadTokenized(JsonElement root)
    {
        var sentences = new IReadOnlyList<string>[root.GetArrayLength()];
        var i = 0;
        foreach (var element in root.EnumerateArray())
        {
            if (element.ValueKind != JsonValueKind.Array || element.GetArrayLength() == 0)
                return Refuse(ErrorCode.BadRequest, $"Element {i} is not a non-empty list of strings; pre-tokenized input is a list of lists of strings.");
            var tokens = new string[element.GetArrayLength()];
            var j = 0;
            foreach (var token in element.EnumerateArray())
            {
                if (token.ValueKind != JsonValueKind.String || !TryGetText(token, out var text) || string.IsNullOrWhiteSpace(text))
                    return Refuse(ErrorCode.BadRequest, $"Token {j} of element {i} is not a non-empty valid UTF-8 string.");
                tokens[j++] = text;
            }
            sentences[i++] = tokens;
        }
        return new(null, sentences, ErrorCode.None, null);
    }

    static Outcome Refuse(ErrorCode code, string message) => new(null, null, code, message);

    /// <summary>The string's value; false when its bytes are not UTF-8, which the JSON parser leaves to this point.</summary>
    public static bool TryGetText(JsonElement element, out string text)
    {
        try
        {
            text = element.GetString()!;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = "";
            return false;
        }
    }
}

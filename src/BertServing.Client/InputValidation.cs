namespace BertServing.Client;

/// <summary>Rejects input the server would refuse, before anything is sent, naming the offending index.</summary>
static class InputValidation
{
    public static void CheckTexts(IReadOnlyList<string> texts, string paramName)
    {
        ArgumentNullException.ThrowIfNull(texts, paramName);
        if (texts.Count == 0)
            throw new ArgumentException("Give at least one sentence: the list is empty.", paramName);
        for (var i = 0; i < texts.Count; i++)
        {
            if (texts[i] is null)
                throw new ArgumentException($"Sentence {i} is null.", paramName);
            if (string.IsNullOrWhiteSpace(texts[i]))
                throw new ArgumentException($"Sentence {i} is empty or whitespace; every sentence must have text.", paramName);
        }
    }

    public static void CheckTokenized(IReadOnlyList<IReadOnlyList<string>> sentences, string paramName)
    {
        ArgumentNullException.ThrowIfNull(sentences, paramName);
        if (sentences.Count == 0)
            throw new ArgumentException("Give at least one sentence: the list is empty.", paramName);
        for (var i = 0; i < sentences.Count; i++)
        {
            var tokens = sentences[i] ?? throw new ArgumentException($"Sentence {i} is null.", paramName);
            if (tokens.Count == 0)
                throw new ArgumentException($"Sentence {i} has no tokens.", paramName);
            for (var j = 0; j < tokens.Count; j++)
            {
                if (string.IsNullOrWhiteSpace(tokens[j]))
                    throw new ArgumentException($"Token {j} of sentence {i} is null, empty or whitespace.", paramName);
            }
        }
    }
}

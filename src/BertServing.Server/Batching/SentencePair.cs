using System.Text.RegularExpressions;

namespace BertServing.Server.Batching;

/// <summary>bert-as-service's sentence pairs: <c>"first ||| second"</c> in one string.</summary>
public static partial class SentencePair
{
    /// <summary>Splits at the last <c>" ||| "</c> as bert-as-service's <c>^(.*) \|\|\| (.*)$</c> does (greedy, one line).</summary>
    public static bool TrySplit(string text, out string first, out string second)
    {
        var match = Pattern().Match(text);
        first = match.Success ? match.Groups[1].Value : text;
        second = match.Success ? match.Groups[2].Value : "";
        return match.Success;
    }

    [GeneratedRegex(@"^(.*) \|\|\| (.*)$")]
    private static partial Regex Pattern();
}

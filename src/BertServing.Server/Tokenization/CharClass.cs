using System.Globalization;
using System.Text;

namespace BertServing.Server.Tokenization;

/// <summary>
/// The character predicates of Google's BERT <c>tokenization.py</c>, on code points so that characters outside
/// the BMP classify as Python classifies them.
/// </summary>
internal static class CharClass
{
    /// <summary><c>_is_whitespace</c>: the ASCII blanks and every space separator (Zs).</summary>
    public static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator;

    /// <summary><c>_is_control</c>: any category C* except tab, LF and CR, which count as whitespace.</summary>
    public static bool IsControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r')
            return false;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    /// <summary>
    /// Characters that Python's <c>str.split()</c> breaks on after cleaning: beyond what cleaning turned into a
    /// space, the line and paragraph separators (Zl, Zp) survive <c>_clean_text</c> and still split words.
    /// </summary>
    public static bool IsWordBreak(Rune rune) =>
        rune.Value == ' ' || IsWhitespace(rune)
        || Rune.GetUnicodeCategory(rune) is UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    /// <summary><c>_is_punctuation</c>: all non-alphanumeric printable ASCII, plus every Unicode P* category.</summary>
    public static bool IsPunctuation(Rune rune)
    {
        var cp = rune.Value;
        if (cp is (>= 33 and <= 47) or (>= 58 and <= 64) or (>= 91 and <= 96) or (>= 123 and <= 126))
            return true;
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    /// <summary><c>_is_chinese_char</c>: the reference's exact CJK ideograph blocks (not Hangul, kana, or CJK punctuation).</summary>
    public static bool IsChineseChar(Rune rune) =>
        rune.Value is (>= 0x4E00 and <= 0x9FFF) or (>= 0x3400 and <= 0x4DBF) or (>= 0x20000 and <= 0x2A6DF)
            or (>= 0x2A700 and <= 0x2B73F) or (>= 0x2B740 and <= 0x2B81F) or (>= 0x2B820 and <= 0x2CEAF)
            or (>= 0xF900 and <= 0xFAFF) or (>= 0x2F800 and <= 0x2FA1F);
}

using System.Globalization;
using System.Text;

namespace BertServing.Server.Tokenization;

/// <summary>
/// Python 3's <c>str.lower()</c> turns capital sigma into final sigma (ς) at the end of a word, and the
/// vocabulary has separate pieces for the two (e.g. <c>##ος</c>), so "ΟΔΟΣ" must not fold to "οδοσ".
/// </summary>
/// <remarks>
/// Unicode's Final_Sigma context, as CPython implements it: a cased letter before (skipping case-ignorable
/// characters) and none after. .NET does not expose the Cased and Case_Ignorable properties, so they are derived
/// from general categories plus the few code points the properties add.
/// </remarks>
internal static class FinalSigma
{
    /// <summary>Whether the capital sigma at <paramref name="index"/> of <paramref name="word"/> is word-final.</summary>
    public static bool IsFinal(ReadOnlySpan<char> word, int index)
    {
        var before = word[..index];
        var hasCasedBefore = false;
        while (!before.IsEmpty)
        {
            Rune.DecodeLastFromUtf16(before, out var rune, out var consumed);
            before = before[..^consumed];
            if (!IsCaseIgnorable(rune))
            {
                hasCasedBefore = IsCased(rune);
                break;
            }
        }

        if (!hasCasedBefore)
            return false;

        var after = word[(index + 1)..];
        while (!after.IsEmpty)
        {
            Rune.DecodeFromUtf16(after, out var rune, out var consumed);
            after = after[consumed..];
            if (!IsCaseIgnorable(rune))
                return !IsCased(rune);
        }

        return true;
    }

    /// <summary>
    /// Cased = Lu, Ll, Lt, Other_Lowercase or Other_Uppercase. Only the Other_* characters that are not also
    /// case-ignorable can matter here (the scans skip the others), and those are listed.
    /// </summary>
    static bool IsCased(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter
            or UnicodeCategory.TitlecaseLetter
        || rune.Value is 0xAA or 0xBA or (>= 0x2160 and <= 0x217F) or (>= 0x24B6 and <= 0x24E9)
            or (>= 0x1F130 and <= 0x1F149) or (>= 0x1F150 and <= 0x1F169) or (>= 0x1F170 and <= 0x1F189);

    /// <summary>Case_Ignorable = Mn, Me, Cf, Lm, Sk, or Word_Break MidLetter, MidNumLet or Single_Quote.</summary>
    static bool IsCaseIgnorable(Rune rune) =>
        Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark
            or UnicodeCategory.Format or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || rune.Value is '\'' or '.' or ':' or 0xB7 or 0x387 or 0x55F or 0x5F4 or 0x2018 or 0x2019 or 0x2024
            or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}

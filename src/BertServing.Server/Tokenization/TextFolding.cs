using System.Globalization;
using System.Text;

namespace BertServing.Server.Tokenization;

/// <summary>
/// The uncased models' folding: Python's <c>str.lower()</c>, then <c>_run_strip_accents</c> (NFD, then drop
/// every nonspacing mark). The result stays decomposed, as in the reference: Hangul syllables become jamo.
/// </summary>
internal static class TextFolding
{
    const char CapitalSigma = '\u03A3';
    const char CapitalIWithDot = '\u0130';

    // Normalization calls into ICU on Linux; without ICU (InvariantGlobalization) .NET returns text unchanged
    // and reports it normalized, which would silently keep accents, so this is checked once up front.
    static readonly bool _canNormalize = !"\u00E9".IsNormalized(NormalizationForm.FormD);

    /// <summary>Fails fast where accent stripping would silently do nothing (no ICU).</summary>
    /// <exception cref="PlatformNotSupportedException">Unicode normalization is unavailable.</exception>
    public static void EnsureSupported()
    {
        if (!_canNormalize)
            throw new PlatformNotSupportedException(
                "Uncased tokenization strips accents with Unicode NFD, which needs ICU (libicu); it is missing or InvariantGlobalization is on.");
    }

    /// <summary>Folds <paramref name="word"/>; the result lives in one of the two buffers until their next use.</summary>
    public static ReadOnlySpan<char> LowerAndStripAccents(ReadOnlySpan<char> word, CharBuffer lowered, CharBuffer folded)
    {
        lowered.Clear();
        if (Ascii.IsValid(word))
        {
            // ASCII is its own NFD and has no marks, so lower-casing is all there is to do.
            Ascii.ToLower(word, lowered.GetSpan(word.Length), out var written);
            lowered.Advance(written);
            return lowered.Written;
        }

        Lower(word, lowered);
        return StripAccents(lowered.Written, folded);
    }

    /// <summary>Python's full lower-case mapping: simple mappings plus the two that depend on more than the char.</summary>
    static void Lower(ReadOnlySpan<char> word, CharBuffer output)
    {
        var index = 0;
        while (index < word.Length)
        {
            Rune.DecodeFromUtf16(word[index..], out var rune, out var consumed);
            if (rune.Value == CapitalSigma)
            {
                output.Append(new Rune(FinalSigma.IsFinal(word, index) ? '\u03C2' : '\u03C3'));
            }
            else if (rune.Value == CapitalIWithDot)
            {
                // SpecialCasing.txt: "i" + COMBINING DOT ABOVE (stripping accents then leaves "i").
                output.Append("i\u0307");
            }
            else
            {
                // Elsewhere Python uses the simple mapping (ICU's here, .NET's own tables without ICU).
                output.Append(Rune.ToLowerInvariant(rune));
            }

            index += consumed;
        }
    }

    static ReadOnlySpan<char> StripAccents(ReadOnlySpan<char> text, CharBuffer output)
    {
        output.Clear();
        if (text.IsNormalized(NormalizationForm.FormD))
        {
            output.Append(text);
        }
        else
        {
            var size = text.Length * 3;
            int written;
            while (!text.TryNormalize(output.GetSpan(size), out written, NormalizationForm.FormD))
                size *= 2;
            output.Advance(written);
        }

        return RemoveNonspacingMarks(output);
    }

    static ReadOnlySpan<char> RemoveNonspacingMarks(CharBuffer buffer)
    {
        var chars = buffer.Written;
        var kept = 0;
        var index = 0;
        while (index < chars.Length)
        {
            Rune.DecodeFromUtf16(chars[index..], out var rune, out var consumed);
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
            {
                // Compacting in place is safe: the write position never passes the read position.
                chars.Slice(index, consumed).CopyTo(chars[kept..]);
                kept += consumed;
            }

            index += consumed;
        }

        buffer.Truncate(kept);
        return buffer.Written;
    }
}

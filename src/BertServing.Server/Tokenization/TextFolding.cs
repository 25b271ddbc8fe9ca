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
                // Invariant casing is table-driven in .NET itself, so it does not depend on ICU.
                output.Append(Rune.ToLowerInvariant(rune));
            }

            index += consumed;
        }
    }

    static ReadOnlySpan<char> StripAccents(ReadOnlySpan<char> text, CharBuffer output)
    {
        output.Clear();
        // Normalization calls into ICU on Linux: without it (InvariantGlobalization) non-ASCII input throws
        // instead of silently tokenizing differently, and the server runs with ICU.
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

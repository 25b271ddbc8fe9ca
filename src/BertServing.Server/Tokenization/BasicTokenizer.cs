using System.Text;

namespace BertServing.Server.Tokenization;

/// <summary>
/// Google's <c>BasicTokenizer.tokenize</c>: clean the text, isolate CJK ideographs, split on whitespace, optionally
/// lower-case and strip accents, then split off punctuation.
/// </summary>
/// <remarks>
/// The reference builds a new string per step; this does the same steps in one pass over the text, with reusable
/// buffers. An instance holds that scratch state, so it serves one thread at a time.
/// </remarks>
internal sealed class BasicTokenizer
{
    readonly CharBuffer _word = new();
    readonly CharBuffer _lowered = new();
    readonly CharBuffer _folded = new();

    /// <summary>Replaces the contents of <paramref name="output"/> with the basic tokens of <paramref name="text"/>.</summary>
    public void Tokenize(ReadOnlySpan<char> text, bool lowerCase, SegmentList output)
    {
        output.Clear();
        _word.Clear();
        var rest = text;
        while (!rest.IsEmpty)
        {
            // An unpaired surrogate decodes as U+FFFD, which is dropped below, as Python drops it (category Cs).
            Rune rune;
            int consumed;
            if (char.IsAscii(rest[0]))
                (rune, consumed) = (new Rune(rest[0]), 1); // The common case skips decoding.
            else
                Rune.DecodeFromUtf16(rest, out rune, out consumed);
            rest = rest[consumed..];

            if (rune.Value is 0 or 0xFFFD || CharClass.IsControl(rune))
                continue; // Dropped without a trace: "a\u0000b" is the single word "ab".
            if (CharClass.IsWordBreak(rune))
            {
                EndWord(lowerCase, output);
            }
            else if (CharClass.IsChineseChar(rune))
            {
                EndWord(lowerCase, output);
                _word.Append(rune);
                EndWord(lowerCase, output);
            }
            else
            {
                _word.Append(rune);
            }
        }

        EndWord(lowerCase, output);
    }

    void EndWord(bool lowerCase, SegmentList output)
    {
        if (_word.Length == 0)
            return;
        // Python lower-cases the whole whitespace-delimited word, so punctuation splits only after folding (and
        // folding can create punctuation: NFD turns U+1FEF into '`').
        var word = lowerCase ? TextFolding.LowerAndStripAccents(_word.Written, _lowered, _folded) : _word.Written;
        SplitOnPunctuation(word, output);
        _word.Clear();
    }

    /// <summary><c>_run_split_on_punc</c>: every punctuation character becomes a word of its own.</summary>
    static void SplitOnPunctuation(ReadOnlySpan<char> word, SegmentList output)
    {
        var start = 0;
        var index = 0;
        while (index < word.Length)
        {
            Rune.DecodeFromUtf16(word[index..], out var rune, out var consumed);
            if (CharClass.IsPunctuation(rune))
            {
                output.Add(word[start..index]);
                output.Add(word.Slice(index, consumed));
                start = index + consumed;
            }
            else if (CharClass.IsWordBreak(rune))
            {
                // Folding never makes whitespace, but the reference re-splits on it anyway; so do we.
                output.Add(word[start..index]);
                start = index + consumed;
            }

            index += consumed;
        }

        output.Add(word[start..]);
    }
}

using BertServing.Server.Models;
using BertServing.Server.Tokenization;
using BertServing.Tests.Support;
using ReferenceTokenizer = FastBertTokenizer.BertTokenizer;

namespace BertServing.Tests.Tokenization;

/// <summary>
/// Cross-checks our ids against FastBertTokenizer, an independent .NET implementation of the same BERT rules.
/// Where the two disagree, Google's tokenization.py decides; those cases are pinned in
/// <see cref="WordPieceTokenizerTests"/> instead of here.
/// </summary>
public class FastBertParityTests
{
    // Generous, so the reference never truncates a line.
    const int MaximumTokens = 4096;

    public static TheoryData<string> TrickyTexts => new()
    {
        "Café naïve résumé",
        "Ångström",
        "我爱北京天安门",
        "BERT是一个模型",
        "Hello,world!!! (yes)...",
        "$100 + 5% = <tag> ~ € ©",
        "I love 🤗 and 👍🏽",
        "a\u0000b\u0001c\u200bd",
        "tab\tnew\nline\r\n",
        "  many   spaces  ",
        "don't",
        "Don’t “quote” me — ok?",
        "3.14159",
        string.Concat(Enumerable.Repeat("abcdefghij", 6)), // 60 letters: under the 100-char limit.
        "안녕하세요 세계",
        "مرحبا بالعالم",
        "नमस्ते दुनिया",
        "👨\u200d👩\u200d👧 family, a\u200db\u200cc",
        "unaffable UNAFFABLE",
        "Hello, World!",
        "",
        " \t\r\n ",
    };

    [Theory]
    [MemberData(nameof(TrickyTexts))]
    public void Tricky_text_matches_the_reference(string text)
    {
        var reference = CreateReference(lowerCase: true);

        Assert.Equal(ReferenceIds(reference, text), TestVocab.Uncased.Ids(text));
    }

    [Fact]
    public void Every_line_of_the_shared_corpus_matches_the_reference()
    {
        var lines = File.ReadAllLines(RepoPaths.TestData("sentences-4000.txt"));
        var reference = CreateReference(lowerCase: true);
        var mismatches = new List<string>();

        foreach (var line in lines)
        {
            var expected = ReferenceIds(reference, line);
            var actual = TestVocab.Uncased.Ids(line);
            if (!expected.SequenceEqual(actual))
                mismatches.Add($"{line}\n  reference: {string.Join(' ', expected)}\n  ours:      {string.Join(' ', actual)}");
        }

        Assert.Equal(4000, lines.Length);
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} lines differ:\n{string.Join('\n', mismatches.Take(10))}");
    }

    [Fact]
    public void Reference_splits_a_word_over_100_chars_where_google_gives_unk()
    {
        var word = string.Concat(Enumerable.Repeat("abcdefghij", 12));

        Assert.True(ReferenceIds(CreateReference(lowerCase: true), word).Count > 1);
        Assert.Equal([TestVocab.BuiltIn.UnkId], TestVocab.Uncased.Ids(word));
    }

    static ReferenceTokenizer CreateReference(bool lowerCase)
    {
        var tokenizer = new ReferenceTokenizer();
        using var reader = new StreamReader(BuiltInModel.OpenVocabulary());
        tokenizer.LoadVocabulary(reader, convertInputToLowercase: lowerCase);
        return tokenizer;
    }

    /// <summary>The reference's ids without the [CLS], [SEP] and padding it adds.</summary>
    static List<int> ReferenceIds(ReferenceTokenizer tokenizer, string text)
    {
        var (inputIds, attentionMask, _) = tokenizer.Encode(text, MaximumTokens);
        var ids = new List<int>();
        var mask = attentionMask.Span;
        var all = inputIds.Span;
        for (var i = 0; i < all.Length; i++)
        {
            if (mask[i] != 0)
                ids.Add(checked((int)all[i]));
        }

        Assert.Equal(TestVocab.BuiltIn.ClsId, ids[0]);
        Assert.Equal(TestVocab.BuiltIn.SepId, ids[^1]);
        return ids[1..^1];
    }
}

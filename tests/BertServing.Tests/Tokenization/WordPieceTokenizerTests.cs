using BertServing.Server.Tokenization;

namespace BertServing.Tests.Tokenization;

/// <summary>Expectations checked by hand against Google's tokenization.py rules and the built-in vocabulary.</summary>
public class WordPieceTokenizerTests
{
    [Theory]
    [InlineData("Hello, World!", "hello , world !")]
    [InlineData("unaffable", "una ##ffa ##ble")]
    [InlineData("Café", "cafe")]
    [InlineData("Ångström", "ang ##strom")]
    [InlineData("don't", "don ' t")]
    [InlineData("3.14159", "3 . 141 ##59")]
    [InlineData("  many   spaces  ", "many spaces")]
    [InlineData("tab\tnew\nline\r\n", "tab new line")]
    [InlineData("$100 + 5% = <tag> ~ € ©", "$ 100 + 5 % = < tag > ~ € ©")]
    [InlineData("a\u0000b\u0001c\u200bd", "abc ##d")] // Dropped characters join their neighbours.
    [InlineData("a\u2028b\u2029c", "a b c")] // Line/paragraph separators survive cleaning but split words.
    [InlineData("x\ud800y", "x ##y")] // An unpaired surrogate is dropped like any category C character.
    [InlineData("I love 🤗 and 👍🏽", "i love [UNK] and [UNK]")]
    [InlineData("İstanbul", "istanbul")]
    [InlineData("", "")]
    public void Uncased_tokenization_follows_the_reference(string text, string expected) =>
        Assert.Equal(expected, string.Join(' ', TestVocab.Uncased.Tokens(text)));

    /// <summary>Cases where FastBertTokenizer 1.2.6 departs from Google's rules (so they are not parity cases).</summary>
    [Theory]
    [InlineData("x\u000by\u0085z", "x ##y ##z")] // VT and NEL are category Cc: dropped, not whitespace.
    [InlineData("x\u2260y", "x = y")] // NFD gives '=' + U+0338; the mark is stripped before punctuation splits.
    [InlineData("a\u1fefb", "a ` b")] // Likewise NFD turns U+1FEF into '`'.
    [InlineData("caf \u0301 e", "caf e")] // A word of nothing but marks strips to nothing, not [UNK].
    [InlineData("x\U00010100y", "x [UNK] y")] // Punctuation outside the BMP (category Po) still splits.
    [InlineData("ΟΔΟΣ", "ο ##δ ##ος")] // Python's lower() gives final sigma.
    public void Google_rules_decide_where_fastbert_differs(string text, string expected) =>
        Assert.Equal(expected, string.Join(' ', TestVocab.Uncased.Tokens(text)));

    [Fact]
    public void Cjk_ideographs_are_tokens_of_their_own_even_between_letters()
    {
        Assert.Equal(["我", "[UNK]", "北", "京", "天", "安", "[UNK]"], TestVocab.Uncased.Tokens("我爱北京天安门"));
        Assert.Equal(["bert", "[UNK]", "一", "[UNK]", "[UNK]", "[UNK]"], TestVocab.Uncased.Tokens("BERT是一个模型"));
        // Outside the BMP: two ideographs from Extension B, each its own (unknown) word.
        Assert.Equal(["[UNK]", "[UNK]", "x"], TestVocab.Uncased.Tokens("\U00020000\U00020001x"));
    }

    [Fact]
    public void Capital_sigma_folds_to_final_sigma_at_the_end_of_a_word_as_python_lower_does()
    {
        // "ΟΔΟΣ." → "οδος" + "." (the vocabulary's "##ος" needs the final form); "ΑΣ'Α" keeps σ: a letter follows.
        Assert.Equal(["ο", "##δ", "##ος", ".", "α", "##σ", "'", "α", "σ"], TestVocab.Uncased.Tokens("ΟΔΟΣ. ΑΣ'Α Σ"));
    }

    [Fact]
    public void Hangul_stays_decomposed_into_jamo_after_stripping_accents()
    {
        Assert.Equal(["ᄋ", "##ᅡ", "##ᆫ", "##ᄂ", "##ᅧ", "##ᆼ"], TestVocab.Uncased.Tokens("안녕"));
    }

    [Fact]
    public void Word_longer_than_max_input_chars_is_a_single_unk()
    {
        // 120 letters that WordPiece could split (abc ##de ##f ##ghi ...) if the length limit did not come first.
        var word = string.Concat(Enumerable.Repeat("abcdefghij", 12));

        Assert.Equal(["hello", "[UNK]", "world"], TestVocab.Uncased.Tokens($"hello {word} world"));
        Assert.Equal([TestVocab.BuiltIn.UnkId], new WordPieceTokenizer(TestVocab.BuiltIn, true, maxInputCharsPerWord: 5).Ids("abcdef"));
    }

    [Fact]
    public void Max_input_chars_counts_code_points_and_pieces_never_split_a_surrogate_pair()
    {
        // The built-in vocabulary has nothing outside the BMP, so use one that does.
        using var stream = new MemoryStream("[PAD]\n[UNK]\n[CLS]\n[SEP]\n\U0001D400\n##\U0001D401\n##\U0001D402\n"u8.ToArray());
        var tokenizer = new WordPieceTokenizer(Vocabulary.Load(stream), lowerCase: false, maxInputCharsPerWord: 3);

        // Three code points in six UTF-16 chars is not too long; a fourth code point is.
        Assert.Equal(["\U0001D400", "##\U0001D401", "##\U0001D402"], tokenizer.Tokens("\U0001D400\U0001D401\U0001D402"));
        Assert.Equal(["[UNK]"], tokenizer.Tokens("\U0001D400\U0001D401\U0001D402\U0001D402"));
    }

    [Fact]
    public void Word_that_cannot_be_fully_split_is_a_single_unk_with_no_partial_pieces()
    {
        var ids = new List<int>();
        var tokens = new List<string>();

        TestVocab.Uncased.Tokenize("hello x\u2603y", ids, tokens); // The snowman is in no piece.

        Assert.Equal(["hello", "[UNK]"], tokens);
        Assert.Equal(tokens.Count, ids.Count);
    }

    [Fact]
    public void Tokenize_appends_to_existing_lists_and_ids_match_tokens()
    {
        var ids = new List<int> { TestVocab.BuiltIn.ClsId };
        var tokens = new List<string> { "[CLS]" };

        TestVocab.Uncased.Tokenize("Hello, World!", ids, tokens);

        Assert.Equal(["[CLS]", "hello", ",", "world", "!"], tokens);
        Assert.Equal(tokens.Select(t => TestVocab.BuiltIn.TryGetId(t, out var id) ? id : -1), ids);
    }

    [Fact]
    public void Cased_mode_keeps_case_and_accents()
    {
        var tokenizer = TestVocab.Cased;

        Assert.False(tokenizer.LowerCase);
        // The uncased vocabulary has no capitals or accented "é", so kept case and accents show up as [UNK].
        Assert.Equal(["[UNK]", ",", "world", "!"], tokenizer.Tokens("Hello, world!"));
        Assert.Equal(["[UNK]", "cafe"], tokenizer.Tokens("Café cafe"));
        Assert.Equal(["una", "##ffa", "##ble"], tokenizer.Tokens("unaffable"));
        Assert.Equal(["[UNK]", "[UNK]", "我"], tokenizer.Tokens("ΟΔΟΣ Ångström 我"));
    }

    [Fact]
    public void MapTokens_looks_words_up_as_given_and_marks_unknown_ones()
    {
        var ids = new List<int>();
        var tokens = new List<string>();

        TestVocab.Uncased.MapTokens(["bert", "tensorrt", "qwertyuiopzz", "Hello", "##ing"], ids, tokens);

        Assert.Equal(["bert", "[UNK]", "[UNK]", "[UNK]", "##ing"], tokens);
        Assert.True(TestVocab.BuiltIn.TryGetId("bert", out var bert));
        Assert.True(TestVocab.BuiltIn.TryGetId("##ing", out var ing));
        Assert.Equal([bert, 100, 100, 100, ing], ids);
    }

    [Fact]
    public void Very_long_text_tokenizes_whole_and_later_calls_still_work()
    {
        var text = string.Join(' ', Enumerable.Repeat("Hello, world", 8000)); // Past the per-thread buffer cap.

        var ids = TestVocab.Uncased.Ids(text);

        Assert.Equal(3 * 8000, ids.Count);
        Assert.Equal(["hello", ",", "world"], TestVocab.Uncased.Tokens("hello, world"));
    }

    [Fact]
    public void Concurrent_use_of_one_instance_gives_the_same_result_as_serial_use()
    {
        string[] texts = ["Hello, World!", "Café naïve résumé", "我爱北京天安门", "ΟΔΟΣ. ΑΣ'Α", "don't stop 3.14159"];
        var expected = texts.Select(t => TestVocab.Uncased.Ids(t)).ToArray();

        Parallel.For(0, 2000, i => Assert.Equal(expected[i % texts.Length], TestVocab.Uncased.Ids(texts[i % texts.Length])));
    }
}

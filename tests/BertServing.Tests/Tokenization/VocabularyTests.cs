using System.Text;
using BertServing.Server.Models;
using BertServing.Server.Tokenization;

namespace BertServing.Tests.Tokenization;

public class VocabularyTests
{
    [Fact]
    public void Built_in_vocabulary_has_bert_base_uncased_layout()
    {
        var vocab = TestVocab.BuiltIn;

        Assert.Equal(30522, vocab.Count);
        Assert.Equal(0, vocab.PadId);
        Assert.Equal(100, vocab.UnkId);
        Assert.Equal(101, vocab.ClsId);
        Assert.Equal(102, vocab.SepId);
        Assert.Equal("[CLS]", vocab.GetToken(101));
    }

    [Fact]
    public void Built_in_vocabulary_has_crlf_line_ends_that_do_not_leak_into_tokens()
    {
        using (var raw = BuiltInModel.OpenVocabulary())
        using (var reader = new StreamReader(raw, Encoding.UTF8))
            Assert.Contains("\r\n", reader.ReadToEnd(), StringComparison.Ordinal);

        Assert.True(TestVocab.BuiltIn.TryGetId("the", out var id));
        Assert.Equal("the", TestVocab.BuiltIn.GetToken(id));
        Assert.DoesNotContain('\r', TestVocab.BuiltIn.GetToken(TestVocab.BuiltIn.Count - 1));
    }

    [Theory]
    [InlineData("\n")]
    [InlineData("\r\n")]
    public void Ids_are_line_indexes_and_a_trailing_line_break_adds_no_token(string newline)
    {
        var vocab = Load(newline, "[PAD]", "hello", "[UNK]", "[CLS]", "[SEP]", "##lo");

        Assert.Equal(6, vocab.Count);
        Assert.True(vocab.TryGetId("hello", out var hello));
        Assert.Equal(1, hello);
        Assert.True(vocab.TryGetId("hello world".AsSpan(0, 5), out _));
        Assert.True(vocab.TryGetId("##lo", out var lo));
        Assert.Equal(5, lo);
        Assert.False(vocab.TryGetId("hello\r", out _));
        Assert.Equal((0, 2, 3, 4), (vocab.PadId, vocab.UnkId, vocab.ClsId, vocab.SepId));
    }

    [Fact]
    public void Missing_special_token_is_named_in_the_error()
    {
        var error = Assert.Throws<InvalidDataException>(() => Load("\n", "[PAD]", "[UNK]", "[SEP]", "hello"));

        Assert.Contains("[CLS]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_from_path_reads_the_same_tokens()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\nworld\r\n");
            var vocab = Vocabulary.Load(path);

            Assert.Equal(5, vocab.Count);
            Assert.Equal("world", vocab.GetToken(4));
        }
        finally
        {
            File.Delete(path);
        }
    }

    static Vocabulary Load(string newline, params string[] lines)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(string.Join(newline, lines) + newline));
        return Vocabulary.Load(stream);
    }
}

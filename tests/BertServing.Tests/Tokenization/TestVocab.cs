using BertServing.Server.Models;
using BertServing.Server.Tokenization;

namespace BertServing.Tests.Tokenization;

/// <summary>The built-in model's real vocabulary (bert-base-uncased's), loaded once for all tests.</summary>
internal static class TestVocab
{
    static readonly Lazy<Vocabulary> _builtIn = new(() =>
    {
        using var stream = BuiltInModel.OpenVocabulary();
        return Vocabulary.Load(stream);
    });

    public static Vocabulary BuiltIn => _builtIn.Value;

    public static WordPieceTokenizer Uncased { get; } = new(BuiltIn, lowerCase: true);

    public static WordPieceTokenizer Cased { get; } = new(BuiltIn, lowerCase: false);

    public static List<string> Tokens(this WordPieceTokenizer tokenizer, string text)
    {
        var tokens = new List<string>();
        tokenizer.Tokenize(text, [], tokens);
        return tokens;
    }

    public static List<int> Ids(this WordPieceTokenizer tokenizer, string text)
    {
        var ids = new List<int>();
        tokenizer.Tokenize(text, ids);
        return ids;
    }
}

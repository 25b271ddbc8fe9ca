using BertServing.Server.Models;
using BertServing.Server.Options;
using BertServing.Server.Tokenization;

namespace BertServing.MicroBenchmarks;

/// <summary>Realistic inputs: the project's shared corpus, and the built-in model as bertserving-start serves it.</summary>
static class Inputs
{
    const string SolutionFile = "BertServing.sln";

    /// <summary>bertserving-start's flags when none is given.</summary>
    public static ServerOptions DefaultOptions { get; } = new();

    /// <summary>The built-in model's settings as bertserving-start resolves them with no flags.</summary>
    public static ModelSettings BuiltInSettings { get; } = ModelSettings.Resolve(DefaultOptions, BuiltInModelSpec.Create());

    /// <summary>The first <paramref name="count"/> sentences of <c>tests/data/sentences-4000.txt</c>.</summary>
    public static string[] Sentences(int count)
    {
        var path = Path.Combine(RepositoryRoot(), "tests", "data", "sentences-4000.txt");
        var sentences = File.ReadLines(path).Take(count).ToArray();
        if (sentences.Length < count)
            throw new InvalidDataException($"{path} has {sentences.Length} sentences; the benchmarks need {count}.");
        return sentences;
    }

    /// <summary>The tokenizer bertserving-start builds for the built-in model.</summary>
    public static WordPieceTokenizer BuiltInTokenizer()
    {
        using var stream = BuiltInModelSpec.Create().OpenVocabulary();
        return new WordPieceTokenizer(Vocabulary.Load(stream), BuiltInSettings.DoLowerCase);
    }

    static string RepositoryRoot()
    {
        // BaseDirectory, not the working directory: the benchmarks may be started from anywhere.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
                return dir.FullName;
        }

        throw new DirectoryNotFoundException($"No {SolutionFile} above {AppContext.BaseDirectory}.");
    }
}

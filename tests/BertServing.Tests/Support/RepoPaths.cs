namespace BertServing.Tests.Support;

/// <summary>Locates the repository and its test data, wherever the test binaries were built.</summary>
public static class RepoPaths
{
    const string SolutionFile = "BertServing.sln";

    static readonly Lazy<string> _root = new(FindRoot);

    /// <summary>The directory holding <c>BertServing.sln</c>.</summary>
    public static string Root => _root.Value;

    /// <summary>A file in <c>tests/data</c>: test inputs live in the repository so a bare clone can run the tests.</summary>
    public static string TestData(string file) => Path.Combine(Root, "tests", "data", file);

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, SolutionFile)))
                return dir.FullName;
        }

        throw new DirectoryNotFoundException($"No {SolutionFile} above {AppContext.BaseDirectory}.");
    }
}

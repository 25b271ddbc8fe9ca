namespace BertServing.Tests.Support;

/// <summary>Locates the repository and the project's shared data, wherever the test binaries were built.</summary>
public static class RepoPaths
{
    const string SolutionFile = "BertServing.sln";

    static readonly Lazy<string> _root = new(FindRoot);

    /// <summary>The directory holding <c>BertServing.sln</c>.</summary>
    public static string Root => _root.Value;

    /// <summary>A file in <c>shared/data</c>, which sits beside the repository (<c>../shared/data</c>).</summary>
    public static string SharedData(string file) => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data", file));

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

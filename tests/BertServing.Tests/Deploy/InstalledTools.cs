using System.Runtime.InteropServices;
using BertServing.Tests.Support;

namespace BertServing.Tests.Deploy;

/// <summary>
/// The three dotnet tools as a user gets them: <c>dotnet pack</c> on a copy of the sources (so the build never
/// touches the outputs other tests are running), then <c>dotnet tool install</c> into a temporary tool path from
/// that package folder alone. The RID-specific tools are packed for this machine's platform only: the other
/// platform's package is another 240 MB that nothing here can run.
/// </summary>
public sealed class InstalledTools : IAsyncLifetime
{
    /// <summary>Package id, project folder, command, and whether it is packed per platform.</summary>
    public static readonly (string Id, string Project, string Command, bool PerPlatform)[] Tools =
    [
        ("BertServing.Server", "src/BertServing.Server", "bertserving-start", true),
        ("BertServing.Terminate", "src/BertServing.Terminate", "bertserving-terminate", false),
        ("BertServing.Benchmark", "tests/BertServing.Benchmarks", "bertserving-benchmark", true),
    ];

    static readonly string[] SourceFiles = [".editorconfig", "README.md", "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json"];
    static readonly string[] SourceFolders = ["src", "tests/BertServing.Benchmarks", "tests/data"];
    static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(10);

    readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("bertserving-tools-");

    /// <summary>This machine's platform, the one the RID-specific packages are built for.</summary>
    public static string Rid => RuntimeInformation.RuntimeIdentifier;

    /// <summary>The copy of the sources the packages were built from (what a Docker build context holds, minus samples and tests).</summary>
    public string Sources => Path.Combine(_root.FullName, "sources");

    /// <summary>A fresh empty folder under the fixture's temporary root.</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(_root.FullName, name)).FullName;

    /// <summary>Where <c>dotnet pack</c> wrote the packages.</summary>
    public string Packages => Path.Combine(_root.FullName, "packages");

    /// <summary>A folder outside the repository to run the installed commands in.</summary>
    public string WorkDirectory => Path.Combine(_root.FullName, "work");

    /// <summary>The installed command <paramref name="name"/> (the tool path's shim).</summary>
    public string Command(string name) => Path.Combine(_root.FullName, "tools", name);

    public async Task InitializeAsync()
    {
        var sources = Directory.CreateDirectory(Sources).FullName;
        foreach (var file in SourceFiles)
            File.Copy(Path.Combine(RepoPaths.Root, file), Path.Combine(sources, file));
        foreach (var folder in SourceFolders)
            CopyWithoutBuildOutput(new DirectoryInfo(Path.Combine(RepoPaths.Root, folder)), Path.Combine(sources, folder));
        Directory.CreateDirectory(WorkDirectory);

        foreach (var (_, project, _, perPlatform) in Tools)
        {
            string[] args = ["pack", project, "-c", ServerProcess.Configuration, "-o", Packages, "--disable-build-servers"];
            if (perPlatform)
                args = [.. args, $"-p:ToolPackageRuntimeIdentifiers={Rid}"];
            await RunOrThrowAsync(sources, args);
        }

        // Only the folder just packed: a tool path install must not need any feed.
        var config = Path.Combine(_root.FullName, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="packed" value="{Packages}" />
              </packageSources>
            </configuration>
            """);
        foreach (var (id, _, _, _) in Tools)
            await RunOrThrowAsync(WorkDirectory, "tool", "install", id, "--tool-path", Path.Combine(_root.FullName, "tools"), "--configfile", config);
    }

    public Task DisposeAsync()
    {
        try
        {
            _root.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A server that outlived its test may still hold a file; the temp folder is the OS's to clean then.
        }
        return Task.CompletedTask;
    }

    /// <summary>Runs <c>dotnet args</c> in <paramref name="workingDirectory"/>; throws with its output when it fails.</summary>
    public static async Task RunOrThrowAsync(string workingDirectory, params string[] args)
    {
        var (code, stdout, stderr) = await DotnetApp.RunProgramAsync("dotnet", workingDirectory, PackTimeout, args);
        if (code != 0)
            throw new InvalidOperationException($"dotnet {string.Join(' ', args)} exited with {code}:\n{stdout}\n{stderr}");
    }

    static void CopyWithoutBuildOutput(DirectoryInfo from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in from.EnumerateFiles())
            file.CopyTo(Path.Combine(to, file.Name));
        foreach (var dir in from.EnumerateDirectories().Where(d => d.Name is not ("bin" or "obj")))
            CopyWithoutBuildOutput(dir, Path.Combine(to, dir.Name));
    }
}

/// <summary>
/// The packaging tests (installed tools, the images' publish step) run alone: they compile the server on both
/// cores, and the parallel tests' servers should not share the machine with that.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class InstalledToolsCollection : ICollectionFixture<InstalledTools>
{
    public const string Name = "packaging, run alone";
}

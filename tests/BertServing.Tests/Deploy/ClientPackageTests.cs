using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using BertServing.Tests.Support;

namespace BertServing.Tests.Deploy;

/// <summary>The client's NuGet package: its README, XML docs and dependencies, from the real <c>dotnet pack</c>.</summary>
public sealed class ClientPackageTests
{
    [Fact]
    public async Task The_client_packs_with_its_readme_xml_docs_and_dependencies()
    {
        var output = Directory.CreateTempSubdirectory("bertserving-pack-");
        try
        {
            var (code, stdout, stderr) = await DotnetApp.RunProgramAsync("dotnet", RepoPaths.Root, TimeSpan.FromMinutes(5),
                "pack", "src/BertServing.Client", "-c", ServerProcess.Configuration, "--no-build", "-o", output.FullName);
            Assert.True(code == 0, stdout + stderr);
            var nupkg = Assert.Single(Directory.GetFiles(output.FullName, "BertServing.Client.*.nupkg"));
            using var zip = ZipFile.OpenRead(nupkg);
            var names = zip.Entries.Select(e => e.FullName).ToArray();
            Assert.Contains("README.md", names);
            Assert.Contains("lib/net10.0/BertServing.Client.dll", names);
            Assert.Contains("lib/net10.0/BertServing.Client.xml", names);

            XNamespace ns;
            XDocument nuspec;
            await using (var stream = zip.GetEntry("BertServing.Client.nuspec")!.Open())
                nuspec = XDocument.Load(stream);
            ns = nuspec.Root!.GetDefaultNamespace();
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.Equal("README.md", metadata.Element(ns + "readme")?.Value);
            var dependencies = metadata.Descendants(ns + "dependency").Select(d => d.Attribute("id")!.Value).ToArray();
            foreach (var id in new[] { "NetMQ", "MessagePack", "Microsoft.Extensions.AI.Abstractions" })
                Assert.Contains(id, dependencies);
            Assert.DoesNotContain(dependencies, d => d.StartsWith("Microsoft.ML.OnnxRuntime", StringComparison.Ordinal)); // the client never drags in a runtime
        }
        finally
        {
            output.Delete(recursive: true);
        }
    }
}

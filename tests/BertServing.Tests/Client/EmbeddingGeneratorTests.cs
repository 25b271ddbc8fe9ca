using System.Numerics.Tensors;
using BertServing.Client;
using BertServing.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace BertServing.Tests.Client;

/// <summary>IEmbeddingGenerator from DI, with options bound from configuration, against the real server.</summary>
[Collection(ServerCollection.Name)]
public sealed class EmbeddingGeneratorTests(ServerFixture fixture)
{
    [Fact]
    public async Task The_generator_resolved_from_DI_gets_the_servers_embeddings()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BertClient:Ip"] = "127.0.0.1",
            ["BertClient:Port"] = fixture.Server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["BertClient:PortOut"] = fixture.Server.PortOut.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["BertClient:Timeout"] = "00:00:30",
        }).Build();
        await using var provider = new ServiceCollection().AddLogging().AddBertClient(configuration.GetSection("BertClient")).BuildServiceProvider();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();

        string[] sentences = BlogSentences.Three;
        var generated = await generator.GenerateAsync(sentences);
        using var client = fixture.NewClient();
        var expected = client.Encode(sentences);
        Assert.Equal(3, generated.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("all-MiniLM-L6-v2", generated[i].ModelId);
            Numerics.AssertClose(expected.Row(i), generated[i].Vector.Span, 1e-5f);
        }

        var metadata = generator.GetService<EmbeddingGeneratorMetadata>()!;
        Assert.Equal("bertserving", metadata.ProviderName);
        Assert.Equal(384, metadata.DefaultModelDimensions);

        var cut = await generator.GenerateAsync(["First do it"], new EmbeddingGenerationOptions { Dimensions = 16 });
        Assert.Equal(16, cut[0].Vector.Length);
        Assert.InRange(TensorPrimitives.Norm(cut[0].Vector.Span), 0.9999f, 1.0001f);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => generator.GenerateAsync(["x"], new EmbeddingGenerationOptions { Dimensions = 385 }));
    }

    [Fact]
    public void Invalid_options_fail_when_the_client_is_resolved()
    {
        using var provider = new ServiceCollection().AddBertClient(o => o.Port = 0).BuildServiceProvider();
        var e = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => provider.GetRequiredService<BertClient>());
        Assert.Contains("BertClientOptions are not valid", e.Message, StringComparison.Ordinal);
    }
}

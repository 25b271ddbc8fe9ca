using System.ClientModel;
using BertServing.Client;
using OpenAI;
using OpenAI.Embeddings;

namespace BertServing.Tests.Http;

/// <summary>The official OpenAI .NET library, which nobody here wrote, pointed at our <c>/v1</c>.</summary>
[Collection(HttpServerCollection.Name)]
public sealed class OpenAiClientTests(HttpServerFixture fixture)
{
    [Fact]
    public async Task The_official_openai_client_gets_the_servers_embeddings()
    {
        var client = new EmbeddingClient("all-MiniLM-L6-v2", new ApiKeyCredential("unused"),
            new OpenAIClientOptions { Endpoint = new Uri(fixture.BaseAddress, "v1") });
        string[] sentences = ["First do it", "then do it right"];
        var result = await client.GenerateEmbeddingsAsync(sentences);

        using var zmq = fixture.NewClient();
        var expected = zmq.Encode(sentences);
        Assert.Equal(2, result.Value.Count);
        for (var i = 0; i < 2; i++)
        {
            var vector = result.Value[i].ToFloats().Span;
            Assert.Equal(384, vector.Length);
            Assert.True(Similarity.Cosine(expected.Row(i), vector) >= 0.99999f);
        }
        Assert.Equal(5 + 6, result.Value.Usage.InputTokenCount);

        var shorter = await client.GenerateEmbeddingAsync("First do it", new EmbeddingGenerationOptions { Dimensions = 32 });
        Assert.Equal(32, shorter.Value.ToFloats().Length);
    }
}

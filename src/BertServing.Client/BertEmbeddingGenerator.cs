using System.Numerics.Tensors;
using Microsoft.Extensions.AI;

namespace BertServing.Client;

/// <summary>
/// A BertServing server as .NET's common <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>, so libraries built on
/// Microsoft.Extensions.AI (Semantic Kernel, vector stores) can use it. One <see cref="BertClient.EncodeAsync(IReadOnlyList{string}, bool, CancellationToken)"/>
/// per call: the server batches the inputs with everyone else's. Vectors are the server's pooled output as is;
/// with <see cref="EmbeddingGenerationOptions.Dimensions"/> they are cut to that length and L2-normalized, as
/// OpenAI's and TEI's <c>dimensions</c> do.
/// </summary>
/// <remarks>Thread-safe, like the <see cref="BertClient"/> underneath.</remarks>
public sealed class BertEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    readonly BertClient _client;
    readonly bool _ownsClient;

    /// <summary>Generates through <paramref name="client"/>.</summary>
    /// <param name="client">The connection to the server.</param>
    /// <param name="ownsClient">Dispose <paramref name="client"/> with this generator.</param>
    public BertEmbeddingGenerator(BertClient client, bool ownsClient = false)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
        _ownsClient = ownsClient;
    }

    /// <inheritdoc/>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        var texts = values as IReadOnlyList<string> ?? [.. values];
        var info = await _client.GetServerInfoAsync(cancellationToken).ConfigureAwait(false);
        if (options?.Dimensions is { } wanted && (wanted < 1 || wanted > info.Dimension))
            throw new ArgumentOutOfRangeException(nameof(options), wanted, $"Dimensions must be from 1 to {info.Dimension}, the model's size.");
        var matrix = await _client.EncodeAsync(texts, cancellationToken: cancellationToken).ConfigureAwait(false);
        var embeddings = new GeneratedEmbeddings<Embedding<float>>(matrix.Count);
        var created = DateTimeOffset.UtcNow;
        for (var i = 0; i < matrix.Count; i++)
        {
            var row = matrix.Row(i);
            float[] vector;
            if (options?.Dimensions is { } dimensions)
            {
                vector = row[..dimensions].ToArray();
                var norm = TensorPrimitives.Norm(vector);
                if (norm > 0)
                    TensorPrimitives.Divide(vector, norm, vector);
            }
            else
            {
                vector = row.ToArray();
            }
            embeddings.Add(new Embedding<float>(vector) { ModelId = info.Model, CreatedAt = created });
        }
        return embeddings;
    }

    /// <inheritdoc/>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null)
            return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata))
        {
            var info = _client.GetServerInfo();
            return new EmbeddingGeneratorMetadata("bertserving", null, info.Model, info.Dimension);
        }
        return serviceType.IsInstanceOfType(this) ? this : serviceType.IsInstanceOfType(_client) ? _client : null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_ownsClient)
            _client.Dispose();
    }
}

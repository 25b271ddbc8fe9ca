using BertServing.Client;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a <see cref="BertClient"/> and its <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>.</summary>
public static class BertClientServiceCollectionExtensions
{
    /// <summary>
    /// Adds one shared <see cref="BertClient"/> (thread-safe) and <see cref="IEmbeddingGenerator{String, Embedding}"/>
    /// over it, with <see cref="BertClientOptions"/> bound from <paramref name="configuration"/> (e.g. the
    /// <c>BertClient</c> section: <c>Ip</c>, <c>Port</c>, <c>PortOut</c>, <c>Timeout</c>, <c>CurveServerKey</c>, ...).
    /// </summary>
    public static IServiceCollection AddBertClient(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.Configure<BertClientOptions>(configuration);
        return services.AddBertClientServices();
    }

    /// <summary>As <see cref="AddBertClient(IServiceCollection, IConfiguration)"/>, with options set in code.</summary>
    public static IServiceCollection AddBertClient(this IServiceCollection services, Action<BertClientOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        services.Configure(configure);
        return services.AddBertClientServices();
    }

    static IServiceCollection AddBertClientServices(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<BertClientOptions>().Validate(o => o.Validate() is null, "BertClientOptions are not valid: see BertClientOptions.Validate().");
        services.AddSingleton(provider => new BertClient(
            provider.GetRequiredService<IOptions<BertClientOptions>>().Value,
            provider.GetService<ILoggerFactory>()?.CreateLogger<BertClient>()));
        services.AddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(provider => new BertEmbeddingGenerator(provider.GetRequiredService<BertClient>()));
        return services;
    }
}

using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace BertServing.Server.Telemetry;

/// <summary>
/// The server's instruments on <see cref="System.Diagnostics.Metrics"/>: the BCL API, so batching and inference
/// record without knowing who exports (the HTTP front's <c>/metrics</c> does, through OpenTelemetry).
/// </summary>
public static class ServerMetrics
{
    /// <summary>The meter's name, for exporters to subscribe to.</summary>
    public const string MeterName = "BertServing.Server";

    static readonly Meter Meter = new(MeterName, ServerVersionText());

    static readonly Counter<long> Requests = Meter.CreateCounter<long>("bertserving.requests", "{request}", "Requests answered, by front, route and outcome (ok or the error code).");
    static readonly Counter<long> Sentences = Meter.CreateCounter<long>("bertserving.sentences", "{sentence}", "Sentences tokenized.");
    static readonly Counter<long> Tokens = Meter.CreateCounter<long>("bertserving.tokens", "{token}", "Model-input tokens of those sentences, [CLS]/[SEP] included.");
    static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("bertserving.batch.size", "{sentence}", "Sentences per inference batch.");
    static readonly Histogram<int> BatchTokens = Meter.CreateHistogram<int>("bertserving.batch.tokens", "{token}", "Padded tokens (longest x count) per inference batch.");
    static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>("bertserving.stage.duration", "s", "Time in each stage: tokenize (per request), queue (request accepted to its first batch's run), inference (per batch).");

    /// <summary>Bucket bounds for <c>bertserving.batch.size</c>.</summary>
    public static readonly double[] BatchSizeBuckets = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512];

    /// <summary>Bucket bounds for <c>bertserving.batch.tokens</c>.</summary>
    public static readonly double[] BatchTokenBuckets = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];

    /// <summary>Bucket bounds for <c>bertserving.stage.duration</c>: 50 µs to 10 s.</summary>
    public static readonly double[] DurationBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    static Func<(int Sentences, int Requests)> _queueDepth = static () => (0, 0);

    static ServerMetrics() =>
        Meter.CreateObservableGauge("bertserving.queue.depth", static () =>
        {
            var (sentences, requests) = _queueDepth();
            return new[]
            {
                new Measurement<int>(sentences, new KeyValuePair<string, object?>("waiting", "sentences")),
                new Measurement<int>(requests, new KeyValuePair<string, object?>("waiting", "requests")),
            };
        }, "{item}", "Tokenized sentences waiting for a batch, and requests waiting to be tokenized.");

    /// <summary>Where the <c>bertserving.queue.depth</c> gauge reads from (the running pipeline).</summary>
    public static void ObserveQueueDepth(Func<(int Sentences, int Requests)> read) => _queueDepth = read;

    /// <summary>Counts one answered request.</summary>
    public static void Request(string front, string route, string outcome) =>
        Requests.Add(1, new("front", front), new("route", route), new("outcome", outcome));

    /// <summary>Counts a tokenized request of <paramref name="sentences"/> sentences and <paramref name="tokens"/> tokens.</summary>
    public static void Tokenized(int sentences, int tokens, TimeSpan took)
    {
        Sentences.Add(sentences);
        Tokens.Add(tokens);
        StageDuration.Record(took.TotalSeconds, new KeyValuePair<string, object?>("stage", "tokenize"));
    }

    /// <summary>Records a batch about to run; its requests' queue times, each once, from <paramref name="acceptedAt"/> stamps.</summary>
    public static void BatchStarting(int sentences, int paddedLength, IEnumerable<long> acceptedAt)
    {
        BatchSize.Record(sentences);
        BatchTokens.Record(sentences * paddedLength);
        foreach (var stamp in acceptedAt)
            StageDuration.Record(Stopwatch.GetElapsedTime(stamp).TotalSeconds, new KeyValuePair<string, object?>("stage", "queue"));
    }

    /// <summary>Records one batch's inference time.</summary>
    public static void Inference(TimeSpan took) =>
        StageDuration.Record(took.TotalSeconds, new KeyValuePair<string, object?>("stage", "inference"));

    static string ServerVersionText() =>
        typeof(ServerMetrics).Assembly.GetName().Version?.ToString() ?? "0";
}

using System.Diagnostics;
using BertServing.Client.Protocol;
using BertServing.Server.Batching;
using BertServing.Server.Inference;
using BertServing.Server.Models;
using BertServing.Server.Options;
using BertServing.Server.Tokenization;
using BertServing.Server.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;
using NetMQ;

namespace BertServing.Server.Hosting;

/// <summary>
/// The assembled server: model, tokenizer, pipeline, workers and the ZeroMQ front, started in dependency order
/// (the front binds last, so nothing is accepted before the model is warm) and stopped in reverse.
/// </summary>
public sealed class BertServer
{
    readonly InferenceSession _session;
    readonly List<EncoderWorker> _workers;
    readonly InferenceWorkers _threads;
    readonly EncodingPipeline _pipeline;
    readonly ZmqFrontend _frontend;
    readonly ILogger _logger;

    BertServer(InferenceSession session, List<EncoderWorker> workers, InferenceWorkers threads, EncodingPipeline pipeline, ZmqFrontend frontend, ILogger logger)
    {
        _session = session;
        _workers = workers;
        _threads = threads;
        _pipeline = pipeline;
        _frontend = frontend;
        _logger = logger;
    }

    /// <summary>The server's public description (also the hello reply).</summary>
    public required ServerInfo Info { get; init; }

    /// <summary>Loads, warms up, binds and starts serving; throws <see cref="StartupException"/> with a user-facing message.</summary>
    public static BertServer Start(ServerOptions options, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger("BertServing.Server");
        var clock = Stopwatch.StartNew();
        var spec = options.ModelDir is { } dir ? Guard(() => ModelFolder.Open(dir)) : BuiltInModelSpec.Create();
        var settings = Guard(() => ModelSettings.Resolve(options, spec));
        var vocabulary = Guard(() =>
        {
            using var stream = spec.OpenVocabulary();
            return Vocabulary.Load(stream);
        }, "vocab.txt");
        var tokenizer = new WordPieceTokenizer(vocabulary, settings.DoLowerCase);

        var onnx = Guard(spec.ReadOnnx, "model.onnx");
        InferenceSession session;
        string device;
        ModelSignature signature;
        try
        {
            session = SessionFactory.Create(onnx, options.Cpu, options.DeviceId, options.NumWorker, options.Verbose, logger, out device);
            signature = ModelSignature.Read(session);
        }
        catch (Exception e) when (e is OnnxRuntimeException or InvalidDataException)
        {
            throw new StartupException($"The model {spec.Name} could not be loaded: {e.Message}", e);
        }

        var dimension = Pooling.Pooler.OutputDimension(settings.Pooling, signature.HiddenSize);
        var planner = new BatchPlanner(tokenizer, settings.TokenLimit, options.MaxBatchSize, options.MaxBatchTokens, dimension);
        var workers = Enumerable.Range(0, options.NumWorker)
            .Select(_ => new EncoderWorker(session, signature, settings.Pooling, planner.MaxBatchTokens)).ToList();
        WarmUp(workers, planner, logger);

        var info = new ServerInfo
        {
            ServerVersion = ServerVersion.Current,
            Model = spec.Name,
            Dimension = dimension,
            MaxSeqLen = settings.MaxSeqLen,
            PoolingStrategy = settings.Pooling.ToName(),
            DoLowerCase = settings.DoLowerCase,
            MaxSentencesPerRequest = options.MaxRequestSentences,
        };
        var pipeline = new EncodingPipeline(planner, options.NumWorker, options.MaxQueuedRequests, maxSentencesPerRound: Math.Max(options.MaxBatchSize, 1024));
        var threads = new InferenceWorkers(workers, logger);
        ZmqFrontend frontend;
        try
        {
            frontend = new ZmqFrontend(options.Port, options.PortOut, pipeline, info, logger);
        }
        catch (NetMQException e)
        {
            session.Dispose();
            throw new StartupException($"Cannot bind tcp://*:{options.Port} and tcp://*:{options.PortOut}: {e.Message}. Is another server using -port/-port_out? Choose free ports.", e);
        }
        pipeline.Start();
        threads.Start(pipeline.Batches);
        frontend.Start();

        logger.LogInformation("Model {Model} on {Device}: hidden {Hidden}, output {Dimension}, max_seq_len {MaxSeqLen}, pooling {Pooling}, lower-case {LowerCase}, {Workers} worker(s)",
            spec.Name, device, signature.HiddenSize, dimension, settings.MaxSeqLen?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "NONE", settings.Pooling.ToName(), settings.DoLowerCase, options.NumWorker);
        logger.LogInformation("All set, ready to serve requests: tcp://*:{Port} (requests), tcp://*:{PortOut} (results); started in {Seconds:0.0} s",
            options.Port, options.PortOut, clock.Elapsed.TotalSeconds);
        return new BertServer(session, workers, threads, pipeline, frontend, logger) { Info = info };
    }

    /// <summary>Stops taking requests, finishes every accepted one, sends the replies, then releases the model.</summary>
    public async Task StopAsync()
    {
        _logger.LogInformation("Shutting down: finishing accepted requests");
        _frontend.StopReceiving();
        await _pipeline.CompleteAsync().ConfigureAwait(false);
        await Task.Run(_threads.Join).ConfigureAwait(false);
        _frontend.Dispose();
        foreach (var worker in _workers)
            worker.Dispose();
        _session.Dispose();
        NetMQConfig.Cleanup(block: false);
        _logger.LogInformation("Stopped");
    }

    static void WarmUp(List<EncoderWorker> workers, BatchPlanner planner, ILogger logger)
    {
        // The first Run of a session allocates ORT's arenas and picks kernels; pay that before announcing "ready".
        var clock = Stopwatch.StartNew();
        foreach (var worker in workers)
        {
            var job = new EncodeJob(2, _ => { }) { Texts = ["warm up", "the quick brown fox jumps over the lazy dog"] };
            foreach (var batch in planner.Plan([job]))
                worker.Run(batch);
        }
        logger.LogDebug("Warm-up took {Milliseconds} ms", clock.ElapsedMilliseconds);
    }

    static T Guard<T>(Func<T> load, string? what = null)
    {
        try
        {
            return load();
        }
        catch (ModelLoadException e)
        {
            throw new StartupException(e.Message, e);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            throw new StartupException(what is null ? e.Message : $"Cannot read {what}: {e.Message}", e);
        }
    }
}

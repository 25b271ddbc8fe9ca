using BertServing.Server.Telemetry;
using System.Diagnostics;
using System.Globalization;
using BertServing.Server.Batching;
using BertServing.Server.Inference;
using BertServing.Server.Models;
using BertServing.Server.Options;
using BertServing.Server.Pooling;
using BertServing.Server.Tokenization;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace BertServing.Server.Hosting;

/// <summary>
/// Everything behind the fronts: the model (graph edited for <c>-pooling_layer</c> when needed), its sessions on
/// their devices, the tokenizer and planner, the pipeline and the worker threads. A front submits jobs to
/// <see cref="Pipeline"/>; results go back through each job's completion.
/// </summary>
public sealed class EncodingEngine
{
    readonly IReadOnlyList<InferenceSession> _sessions;
    readonly List<EncoderWorker> _workers;
    readonly InferenceWorkers _threads;

    EncodingEngine(IReadOnlyList<InferenceSession> sessions, List<EncoderWorker> workers, InferenceWorkers threads, EncodingPipeline pipeline)
    {
        _sessions = sessions;
        _workers = workers;
        _threads = threads;
        Pipeline = pipeline;
    }

    /// <summary>Where fronts submit jobs.</summary>
    public EncodingPipeline Pipeline { get; }

    /// <summary>The model's vocabulary (token ids given by callers are looked up in it).</summary>
    public required Vocabulary Vocabulary { get; init; }

    /// <summary>The model's name.</summary>
    public required string ModelName { get; init; }

    /// <summary>The settings after the precedence rule.</summary>
    public required ModelSettings Settings { get; init; }

    /// <summary>Length of one output vector (per token for NONE).</summary>
    public required int Dimension { get; init; }

    /// <summary>Where the workers run, e.g. <c>cpu</c> or <c>cuda:0</c>.</summary>
    public required string Devices { get; init; }

    /// <summary>Loads the model, warms every worker up and starts planning and inference; throws <see cref="StartupException"/>.</summary>
    public static EncodingEngine Start(ServerOptions options, ILogger logger)
    {
        var spec = options.ModelDir is { } dir
            ? Guard(() => ModelFolder.Open(dir, options.TunedModelDir, options.CkptName, options.ConfigName, options.GraphTmpDir))
            : BuiltInModelSpec.Create();
        var settings = Guard(() => ModelSettings.Resolve(options, spec));
        var vocabulary = Guard(() =>
        {
            using var stream = spec.OpenVocabulary();
            return Vocabulary.Load(stream);
        }, "vocab.txt");
        var tokenizer = new WordPieceTokenizer(vocabulary, settings.DoLowerCase);
        WarnAboutFlags(options, settings, logger);

        var pooled = settings.Pooling == PoolingStrategy.ClsPooled;
        var onnx = Guard(spec.ReadOnnx, "model.onnx");
        var editLayers = !pooled && !(settings.PoolingLayer is [-1]);
        var int8 = options.Quantize == "int8";
        if (editLayers || options.NoPositionEmbeddings || int8)
        {
            var clock = Stopwatch.StartNew();
            string path = "";
            var hit = false;
            var source = onnx;
            onnx = Guard(() => GraphCache.GetOrBuild(source, editLayers ? settings.PoolingLayer : null, options.NoPositionEmbeddings, int8, options.GraphTmpDir, out path, out hit));
            logger.LogInformation("Edited graph for -pooling_layer [{Layers}]{Positions}{Quantized} {How} {Path} in {Milliseconds} ms",
                string.Join(", ", settings.PoolingLayer), options.NoPositionEmbeddings ? " without position embeddings" : "", int8 ? ", int8 matmuls" : "",
                hit ? "loaded from cache" : "built and cached at", path, clock.ElapsedMilliseconds);
        }

        SessionFactory.InitializeEnvironment(options.Verbose);
        var (sessions, perWorker, devices) = CreateSessions(onnx, options, spec.Name, logger);
        ModelSignature signature;
        try
        {
            string[]? layerOutputs = null;
            if (editLayers)
            {
                var count = int.Parse(sessions[0].ModelMetadata.CustomMetadataMap[EncoderGraph.LayerCountKey], CultureInfo.InvariantCulture);
                layerOutputs = [.. EncoderGraph.ResolveLayers(settings.PoolingLayer, count).Select(EncoderGraph.OutputName)];
            }
            signature = ModelSignature.Read(sessions[0], layerOutputs, pooled);
        }
        catch (Exception e) when (e is InvalidDataException or KeyNotFoundException or ModelLoadException)
        {
            foreach (var session in sessions) session.Dispose();
            throw new StartupException($"The model {spec.Name} cannot be served this way: {e.Message}", e);
        }

        var dimension = pooled ? signature.HiddenSize : Pooler.OutputDimension(settings.Pooling, signature.Width);
        var tokenRows = settings.Pooling == PoolingStrategy.None;
        int? fixedRows = settings.MaxSeqLen ?? (options.FixedEmbedLength ? settings.MaxPositions : null);
        var planner = new BatchPlanner(tokenizer, settings.TokenLimit, options.MaxBatchSize, options.MaxBatchTokens, dimension,
            options.NoSpecialToken, tokenRows, fixedRows, options.PriorityBatchSize, options.MaxSentenceChars);
        var workers = perWorker
            .Select(session => new EncoderWorker(session, signature, settings.Pooling, planner.MaxBatchTokens, options.MaskClsSep, vocabulary.ClsId, vocabulary.SepId))
            .ToList();
        WarmUp(workers, planner, settings.TokenLimit, logger);

        // bert-as-service prefetches only on GPUs; on a CPU a deep queue just delays priority requests.
        var onGpu = devices.Contains("cuda", StringComparison.Ordinal);
        var ready = options.NumWorker * (onGpu ? Math.Max(1, options.PrefetchSize) : 1);
        var pipeline = new EncodingPipeline(planner, ready, options.MaxQueuedRequests, maxWaitingSentences: Math.Max(options.MaxBatchSize, 4096), options.PriorityBatchSize, options.MaxQueuedSentences);
        var threads = new InferenceWorkers(workers, logger);
        pipeline.Start();
        threads.Start(pipeline.Batches);
        ServerMetrics.ObserveQueueDepth(() => (pipeline.WaitingSentences + pipeline.QueuedSentences, pipeline.QueuedRequests));
        logger.LogInformation("Model {Model} on {Device}: hidden {Hidden}, output {Shape}, max_seq_len {MaxSeqLen}, pooling {Pooling} of layer(s) [{Layers}], lower-case {LowerCase}, {Workers} worker(s)",
            spec.Name, devices, signature.HiddenSize, tokenRows ? $"[N, T, {dimension}]" : $"[N, {dimension}]",
            settings.MaxSeqLen?.ToString(CultureInfo.InvariantCulture) ?? "NONE", settings.Pooling.ToName(),
            pooled ? "pooler" : string.Join(", ", settings.PoolingLayer), settings.DoLowerCase, options.NumWorker);
        return new EncodingEngine(sessions, workers, threads, pipeline)
        {
            ModelName = spec.Name,
            Vocabulary = vocabulary,
            Settings = settings,
            Dimension = dimension,
            Devices = devices,
        };
    }

    /// <summary>Finishes everything accepted, then releases the workers and sessions.</summary>
    public async Task StopAsync()
    {
        await Pipeline.CompleteAsync().ConfigureAwait(false);
        await Task.Run(_threads.Join).ConfigureAwait(false);
        foreach (var worker in _workers)
            worker.Dispose();
        foreach (var session in _sessions)
            session.Dispose();
    }

    /// <summary>
    /// Sessions per device and the session of each worker. Workers get <c>-device_map</c> ids cyclically, as
    /// bert-as-service assigns them; workers on one device share a session.
    /// </summary>
    static (List<InferenceSession> Sessions, List<InferenceSession> PerWorker, string Devices) CreateSessions(byte[] onnx, ServerOptions options, string model, ILogger logger)
    {
        var sessions = new List<InferenceSession>();
        var perWorker = new List<InferenceSession>();
        try
        {
            var ids = options.DeviceMap.Count > 0 ? options.DeviceMap : [0];
            var deviceOf = Enumerable.Range(0, options.NumWorker).Select(i => options.Cpu ? -1 : ids[i % ids.Count]).ToArray();
            var byDevice = new Dictionary<int, InferenceSession>();
            foreach (var id in deviceOf.Distinct().Where(id => id >= 0))
            {
                var session = SessionFactory.TryCreateCuda(onnx, id, Math.Min(1.0, options.GpuMemoryFraction * deviceOf.Count(d => d == id)), logger, out var failure);
                if (session is null)
                {
                    logger.LogWarning("CUDA is not available ({Reason}); falling back to CPU. Pass -cpu to skip this check.", failure);
                    break; // one failure means no CUDA here: do not try (and warn for) every device
                }
                byDevice[id] = session;
                sessions.Add(session);
            }
            for (var i = 0; i < deviceOf.Length; i++)
                if (!byDevice.ContainsKey(deviceOf[i])) deviceOf[i] = -1;
            var cpuWorkers = deviceOf.Count(d => d < 0);
            if (cpuWorkers > 0)
            {
                byDevice[-1] = SessionFactory.CreateCpu(onnx, cpuWorkers);
                sessions.Add(byDevice[-1]);
            }
            perWorker.AddRange(deviceOf.Select(d => byDevice[d]));
            var devices = string.Join(", ", deviceOf.Distinct().Select(d => d < 0 ? "cpu" : $"cuda:{d}"));
            if (options.Fp16)
                logger.LogWarning("-fp16: float16 inference is not implemented yet; running float32 on {Devices}", devices);
            return (sessions, perWorker, devices);
        }
        catch (OnnxRuntimeException e)
        {
            foreach (var session in sessions) session.Dispose();
            throw new StartupException($"The model {model} could not be loaded: {e.Message}", e);
        }
    }

    static void WarnAboutFlags(ServerOptions options, ModelSettings settings, ILogger logger)
    {
        // Flags that cannot mean in ONNX Runtime what they meant in TensorFlow are said so, never silently dropped.
        if (options.Xla)
            logger.LogWarning("-xla is TensorFlow's JIT and has no ONNX Runtime equivalent; the graph is always optimized at ORT_ENABLE_ALL instead");
        if (options.FixedEmbedLength && !(settings.MaxSeqLen is null && settings.Pooling == PoolingStrategy.None))
            logger.LogWarning("-fixed_embed_length applies only with -max_seq_len NONE and -pooling_strategy NONE; it has no effect here");
        if (settings.Pooling == PoolingStrategy.ClsPooled && options.PoolingLayerExplicit)
            logger.LogWarning("-pooling_layer is ignored with CLS_POOLED: the pooler reads the last layer");
    }

    static void WarmUp(List<EncoderWorker> workers, BatchPlanner planner, int tokenLimit, ILogger logger)
    {
        // First runs allocate ORT's arenas and pick kernels, and the JIT has yet to optimize our hot paths: pay for
        // both before announcing "ready". The largest batch the planner can make comes first, so the arena is sized
        // for it and never grows while serving; then a typical batch, then single short sentences.
        var clock = Stopwatch.StartNew();
        var longest = string.Join(' ', Enumerable.Repeat("warm", tokenLimit));
        string[][] shapes =
        [
            [.. Enumerable.Repeat(longest, Math.Max(1, planner.MaxBatchTokens / tokenLimit))],
            [.. Enumerable.Repeat("the quick brown fox jumps over the lazy dog", 32)],
            .. Enumerable.Repeat<string[]>(["warm up"], 16),
        ];
        foreach (var worker in workers)
            foreach (var texts in shapes)
                foreach (var batch in planner.Plan([new EncodeJob(texts.Length, _ => { }) { Texts = texts, Unmetered = true }]))
                    worker.Run(batch);
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
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Google.Protobuf.InvalidProtocolBufferException)
        {
            throw new StartupException(what is null ? e.Message : $"Cannot read {what}: {e.Message}", e);
        }
    }
}

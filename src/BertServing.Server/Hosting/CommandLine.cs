using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Parsing;
using BertServing.Server.Options;

namespace BertServing.Server.Hosting;

/// <summary>
/// <c>bertserving-start</c>'s flags, spelled as bert-as-service spells them (single dash, <c>-flag value</c> or
/// <c>-flag=value</c>) with the double-dash forms as aliases.
/// </summary>
static class CommandLine
{
    static Option<T> Flag<T>(string name, string description, T? defaultValue = default, bool hasDefault = false)
    {
        var option = new Option<T>("-" + name, "--" + name) { Description = description };
        if (hasDefault)
            option.DefaultValueFactory = _ => defaultValue!;
        return option;
    }

    static readonly ServerOptions Defaults = new();

    // File paths
    public static readonly Option<string?> ModelDir = Flag<string?>("model_dir", "Folder with vocab.txt and model.onnx (or onnx/model.onnx), or Hugging Face model.safetensors + config.json, or Google's bert_model.ckpt.* + bert_config.json. Default: the built-in all-MiniLM-L6-v2.");
    public static readonly Option<string?> TunedModelDir = Flag<string?>("tuned_model_dir", "Folder of a fine-tuned model whose graph is used; vocab and config still come from -model_dir.");
    public static readonly Option<string> CkptName = Flag("ckpt_name", "The graph or weights to load: NAME, NAME.onnx or NAME.safetensors, or the TensorFlow checkpoint NAME.index. The default looks for model.onnx, onnx/model.onnx, model.safetensors, then bert_model.ckpt.index.", ServerOptions.DefaultCkptName, true);
    public static readonly Option<string> ConfigName = Flag("config_name", "Model config JSON in -model_dir (falls back to config.json).", ServerOptions.DefaultConfigName, true);
    public static readonly Option<string?> GraphTmpDir = Flag<string?>("graph_tmp_dir", "Cache folder for edited and built graphs (-pooling_layer, -no_position_embeddings, -quantize, weights). Default: $TMPDIR/bertserving-graphs.");

    // BERT parameters
    public static readonly Option<string> MaxSeqLen = Flag<string>("max_seq_len", "Max tokens per sentence incl. [CLS]/[SEP], or NONE. Default: the model's own, else 25.");
    public static readonly Option<bool> CasedTokenization = Flag<bool>("cased_tokenization", "Keep case and accents (for cased models).");
    public static readonly Option<int[]> PoolingLayer = Flag<int[]>("pooling_layer", "Encoder layer(s) to pool, -1 = last; several are concatenated. Default: -1 if the model declares its pooling, else -2.");
    public static readonly Option<string> Pooling = Flag<string>("pooling_strategy", "NONE, REDUCE_MEAN, REDUCE_MAX, REDUCE_MEAN_MAX, FIRST_TOKEN/CLS_TOKEN, LAST_TOKEN/SEP_TOKEN, CLS_POOLED. Default: the model's own, else REDUCE_MEAN.");
    public static readonly Option<bool> MaskClsSep = Flag<bool>("mask_cls_sep", "Mask [CLS] and [SEP] out of attention and pooling.");
    public static readonly Option<bool> NoSpecialToken = Flag<bool>("no_special_token", "Pre-tokenized single sentences go in without [CLS]/[SEP].");
    public static readonly Option<bool> ShowTokensToClient = Flag<bool>("show_tokens_to_client", "Send tokens to bert-serving-client requests.");
    public static readonly Option<bool> NoPositionEmbeddings = Flag<bool>("no_position_embeddings", "Run without position embeddings (the table is zeroed).");
    public static readonly Option<bool> FixedEmbedLength = Flag<bool>("fixed_embed_length", "With -max_seq_len NONE and -pooling_strategy NONE, pad token embeddings to the model's max positions.");

    // Serving
    public static readonly Option<int> Port = Flag("port", "Port for requests (PULL).", Defaults.Port, true);
    public static readonly Option<int> PortOut = Flag("port_out", "Port for results (PUB).", Defaults.PortOut, true);
    public static readonly Option<int?> HttpPort = Flag<int?>("http_port", "HTTP port: bas's /encode and /status routes, OpenAI's /v1/embeddings, /health, /ready, /metrics and a dashboard at /.");
    public static readonly Option<int> HttpMaxConnect = Flag("http_max_connect", "HTTP encode requests computed at once; more wait, then get 429.", Defaults.HttpMaxConnect, true);
    public static readonly Option<string> BindIp = Flag("bind_ip", "Address the ZeroMQ and HTTP ports listen on: * (every interface, as bas) or one address, e.g. 127.0.0.1 for this machine only.", Defaults.BindIp, true);
    public static readonly Option<string> Cors = Flag("cors", "HTTP Access-Control-Allow-Origin.", Defaults.Cors, true);
    public static readonly Option<int> NumWorker = Flag("num_worker", "Inference workers running batches concurrently.", Defaults.NumWorker, true);
    public static readonly Option<int> MaxBatchSize = Flag("max_batch_size", "Max sentences per inference batch; bigger requests are split.", Defaults.MaxBatchSize, true);
    public static readonly Option<int> PriorityBatchSize = Flag("priority_batch_size", "Requests of at most this many sentences are served ahead of bigger ones.", Defaults.PriorityBatchSize, true);
    public static readonly Option<bool> Cpu = Flag<bool>("cpu", "Run on CPU even when CUDA is available.");
    public static readonly Option<bool> Xla = Flag<bool>("xla", "TensorFlow XLA: no ONNX Runtime equivalent; accepted and reported.");
    public static readonly Option<bool> Fp16 = Flag<bool>("fp16", "Half precision (GPU only).");
    public static readonly Option<double> GpuMemoryFraction = Flag("gpu_memory_fraction", "Share of GPU memory per worker, (0, 1].", Defaults.GpuMemoryFraction, true);
    public static readonly Option<int[]> DeviceMap = Flag<int[]>("device_map", "CUDA device ids, assigned to workers cyclically (workers on one device share a session). Default: device 0.");
    public static readonly Option<int> PrefetchSize = Flag("prefetch_size", "Batches prepared ahead per GPU worker (CPU workers: 1).", Defaults.PrefetchSize, true);
    public static readonly Option<bool> Verbose = Flag<bool>("verbose", "Debug logging.");

    // Ours, beyond bert-as-service
    public static readonly Option<int> MaxBatchTokens = Flag("max_batch_tokens", "Max padded tokens (longest x count) per inference batch.", Defaults.MaxBatchTokens, true);
    public static readonly Option<int> MaxRequestSentences = Flag("max_request_sentences", "Max sentences in one request.", Defaults.MaxRequestSentences, true);
    public static readonly Option<int> MaxQueuedSentences = Flag("max_queued_sentences", "Sentences waiting, all requests together, before new ones are answered 'busy'.", Defaults.MaxQueuedSentences, true);
    public static readonly Option<int> MaxSentenceChars = Flag("max_sentence_chars", "Characters in one sentence; longer ones are refused as too large.", Defaults.MaxSentenceChars, true);
    public static readonly Option<int> MaxMessageBytes = Flag("max_message_bytes", "Bytes in one ZeroMQ request; larger ones are refused as too large.", Defaults.MaxMessageBytes, true);
    public static readonly Option<string?> CurveKeyFile = Flag<string?>("curve_key_file", "File with the server's CurveZMQ secret key: encrypt ZeroMQ, admit only clients given the public key.");
    public static readonly Option<string?> CurveKeygen = Flag<string?>("curve_keygen", "Write a new CurveZMQ key pair to FILE (secret) and FILE.pub, print the public key, and exit.");
    public static readonly Option<string> Quantize = Flag("quantize", "none, or int8: dynamically quantized int8 matmuls (CPU: 2.7x the sentences/s of float32 here; cosine to float32 >= 0.99 on every corpus sentence).", Defaults.Quantize, true);
    public static readonly Option<bool> EnableTermination = Flag<bool>("enable_termination", "Obey a remote TERMINATION (bertserving-terminate); off by default.");
    public static readonly Option<string?> TerminationToken = Flag<string?>("termination_token", "TERMINATION must carry this token (bertserving-terminate -token).");
    public static readonly Option<string?> HttpApiKey = Flag<string?>("http_api_key", "Require 'Authorization: Bearer KEY' on the HTTP encode routes.");
    public static readonly Option<long> HttpMaxBody = Flag("http_max_body", "Largest HTTP request body, bytes.", Defaults.HttpMaxBody, true);
    public static readonly Option<int> MaxQueuedRequests = Flag("max_queued_requests", "Requests waiting before new ones are answered 'busy'.", Defaults.MaxQueuedRequests, true);
    public static readonly Option<string?> ExportModel = Flag<string?>("export_model", "Write the built-in model as a plain model folder to this path and exit.");

    static readonly Option[] All =
    [
        ModelDir, TunedModelDir, CkptName, ConfigName, GraphTmpDir,
        MaxSeqLen, CasedTokenization, PoolingLayer, Pooling, MaskClsSep, NoSpecialToken, ShowTokensToClient, NoPositionEmbeddings, FixedEmbedLength,
        Port, PortOut, BindIp, HttpPort, HttpMaxConnect, Cors, NumWorker, MaxBatchSize, PriorityBatchSize, Cpu, Xla, Fp16, GpuMemoryFraction, DeviceMap, PrefetchSize,
        Verbose, MaxBatchTokens, MaxRequestSentences, MaxQueuedRequests, HttpApiKey, HttpMaxBody, EnableTermination, TerminationToken, MaxQueuedSentences, MaxSentenceChars, MaxMessageBytes, CurveKeyFile, CurveKeygen, Quantize, ExportModel,
    ];

    /// <summary>The root command with every flag; bert-as-service's <c>-help</c> and <c>-version</c> spellings added.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("bertserving-start: serves sentence embeddings from a BERT model over ZeroMQ (bert-as-service compatible).");
        foreach (var option in All)
            root.Options.Add(option);
        Port.Aliases.Add("-port_in");
        Port.Aliases.Add("-port_data");
        PortOut.Aliases.Add("-port_result");
        DeviceMap.AllowMultipleArgumentsPerToken = true;
        PoolingLayer.AllowMultipleArgumentsPerToken = true;
        foreach (var option in root.Options)
        {
            if (option is HelpOption) option.Aliases.Add("-help");
            if (option is VersionOption) option.Aliases.Add("-version");
        }
        return root;
    }

    /// <summary>Turns a successful parse into options; returns an error message for values no parser catches.</summary>
    public static ServerOptions ToOptions(ParseResult parse, out string? error)
    {
        error = null;
        var options = new ServerOptions
        {
            ModelDir = parse.GetValue(ModelDir),
            TunedModelDir = parse.GetValue(TunedModelDir),
            CkptName = parse.GetValue(CkptName)!,
            ConfigName = parse.GetValue(ConfigName)!,
            GraphTmpDir = parse.GetValue(GraphTmpDir),
            CasedTokenization = parse.GetValue(CasedTokenization),
            MaskClsSep = parse.GetValue(MaskClsSep),
            NoSpecialToken = parse.GetValue(NoSpecialToken),
            ShowTokensToClient = parse.GetValue(ShowTokensToClient),
            NoPositionEmbeddings = parse.GetValue(NoPositionEmbeddings),
            FixedEmbedLength = parse.GetValue(FixedEmbedLength),
            HttpPort = parse.GetValue(HttpPort),
            HttpMaxConnect = parse.GetValue(HttpMaxConnect),
            Cors = parse.GetValue(Cors)!,
            BindIp = parse.GetValue(BindIp)!,
            PriorityBatchSize = parse.GetValue(PriorityBatchSize),
            Xla = parse.GetValue(Xla),
            Fp16 = parse.GetValue(Fp16),
            GpuMemoryFraction = parse.GetValue(GpuMemoryFraction),
            PrefetchSize = parse.GetValue(PrefetchSize),
            NumWorker = parse.GetValue(NumWorker),
            Port = parse.GetValue(Port),
            PortOut = parse.GetValue(PortOut),
            MaxBatchSize = parse.GetValue(MaxBatchSize),
            Cpu = parse.GetValue(Cpu),
            Verbose = parse.GetValue(Verbose),
            MaxBatchTokens = parse.GetValue(MaxBatchTokens),
            MaxRequestSentences = parse.GetValue(MaxRequestSentences),
            MaxQueuedRequests = parse.GetValue(MaxQueuedRequests),
            HttpApiKey = parse.GetValue(HttpApiKey),
            HttpMaxBody = parse.GetValue(HttpMaxBody),
            EnableTermination = parse.GetValue(EnableTermination),
            MaxQueuedSentences = parse.GetValue(MaxQueuedSentences),
            MaxSentenceChars = parse.GetValue(MaxSentenceChars),
            MaxMessageBytes = parse.GetValue(MaxMessageBytes),
            CurveKeyFile = parse.GetValue(CurveKeyFile),
            Quantize = parse.GetValue(Quantize)!.ToLowerInvariant(),
            TerminationToken = parse.GetValue(TerminationToken),
        };
        if (parse.GetResult(DeviceMap) is not null && parse.GetValue(DeviceMap) is { } devices)
            options.DeviceMap = devices;
        if (parse.GetResult(PoolingLayer) is not null && parse.GetValue(PoolingLayer) is { } layers)
        {
            options.PoolingLayer = layers;
            options.PoolingLayerExplicit = true;
        }
        if (parse.GetValue(MaxSeqLen) is { } maxSeqLen)
        {
            options.MaxSeqLenExplicit = true;
            if (string.Equals(maxSeqLen, "NONE", StringComparison.OrdinalIgnoreCase))
                options.MaxSeqLen = null;
            else if (int.TryParse(maxSeqLen, out var n))
                options.MaxSeqLen = n;
            else
                error = $"-max_seq_len must be an integer > 3 or NONE, got '{maxSeqLen}'.";
        }
        if (parse.GetValue(Pooling) is { } pooling)
        {
            options.PoolingStrategyExplicit = true;
            if (PoolingStrategyNames.TryParse(pooling, out var strategy))
                options.PoolingStrategy = strategy;
            else
                error = $"-pooling_strategy must be one of {string.Join(", ", PoolingStrategyNames.All)}; got '{pooling}'.";
        }
        return options;
    }
}

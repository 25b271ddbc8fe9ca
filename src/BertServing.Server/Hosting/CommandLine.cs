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

    public static readonly Option<string?> ModelDir = Flag<string?>("model_dir", "Folder with model.onnx (or onnx/model.onnx) and vocab.txt. Default: the built-in all-MiniLM-L6-v2.");
    public static readonly Option<int> NumWorker = Flag("num_worker", "Inference workers running batches concurrently.", Defaults.NumWorker, true);
    public static readonly Option<int> Port = Flag("port", "Port for requests (PULL).", Defaults.Port, true);
    public static readonly Option<int> PortOut = Flag("port_out", "Port for results (PUB).", Defaults.PortOut, true);
    public static readonly Option<string> MaxSeqLen = Flag<string>("max_seq_len", "Max tokens per sentence incl. [CLS]/[SEP], or NONE. Default: the model's own, else 25.");
    public static readonly Option<int> MaxBatchSize = Flag("max_batch_size", "Max sentences per inference batch.", Defaults.MaxBatchSize, true);
    public static readonly Option<string> Pooling = Flag<string>("pooling_strategy", "REDUCE_MEAN, REDUCE_MAX, REDUCE_MEAN_MAX, FIRST_TOKEN/CLS_TOKEN, LAST_TOKEN/SEP_TOKEN. Default: the model's own, else REDUCE_MEAN.");
    public static readonly Option<bool> Cpu = Flag<bool>("cpu", "Run on CPU even when CUDA is available.");
    public static readonly Option<int[]> DeviceMap = Flag<int[]>("device_map", "CUDA device ids (the first is used).");
    public static readonly Option<bool> Verbose = Flag<bool>("verbose", "Debug logging.");
    public static readonly Option<int> MaxBatchTokens = Flag("max_batch_tokens", "Max padded tokens (longest x count) per inference batch.", Defaults.MaxBatchTokens, true);
    public static readonly Option<int> MaxRequestSentences = Flag("max_request_sentences", "Max sentences in one request.", Defaults.MaxRequestSentences, true);
    public static readonly Option<int> MaxQueuedRequests = Flag("max_queued_requests", "Requests waiting before new ones are answered 'busy'.", Defaults.MaxQueuedRequests, true);
    public static readonly Option<string?> ExportModel = Flag<string?>("export_model", "Write the built-in model as a plain model folder to this path and exit.");

    /// <summary>The root command with every flag; bert-as-service's <c>-help</c> and <c>-version</c> spellings added.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand("bertserving-start: serves sentence embeddings from a BERT model over ZeroMQ (bert-as-service compatible).");
        foreach (var option in new Option[] { ModelDir, NumWorker, Port, PortOut, MaxSeqLen, MaxBatchSize, Pooling, Cpu, DeviceMap, Verbose, MaxBatchTokens, MaxRequestSentences, MaxQueuedRequests, ExportModel })
            root.Options.Add(option);
        Port.Aliases.Add("-port_in");
        Port.Aliases.Add("-port_data");
        PortOut.Aliases.Add("-port_result");
        DeviceMap.AllowMultipleArgumentsPerToken = true;
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
            NumWorker = parse.GetValue(NumWorker),
            Port = parse.GetValue(Port),
            PortOut = parse.GetValue(PortOut),
            MaxBatchSize = parse.GetValue(MaxBatchSize),
            Cpu = parse.GetValue(Cpu),
            Verbose = parse.GetValue(Verbose),
            MaxBatchTokens = parse.GetValue(MaxBatchTokens),
            MaxRequestSentences = parse.GetValue(MaxRequestSentences),
            MaxQueuedRequests = parse.GetValue(MaxQueuedRequests),
        };
        if (parse.GetValue(DeviceMap) is { Length: > 0 } devices)
            options.DeviceId = devices[0];
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

namespace BertServing.Server.Options;

/// <summary>
/// Everything <c>bertserving-start</c> can be told, with bert-as-service's names and defaults. Filled from the
/// command line by <see cref="Hosting.CommandLine"/> and checked by <see cref="Validate"/> before anything starts.
/// </summary>
public sealed class ServerOptions
{
    /// <summary><c>-model_dir</c>: folder with <c>model.onnx</c> (or <c>onnx/model.onnx</c>) and <c>vocab.txt</c>.
    /// Defaults to none: the built-in all-MiniLM-L6-v2.</summary>
    public string? ModelDir { get; set; }

    /// <summary><c>-num_worker</c>: inference workers running batches concurrently. Defaults to 1.</summary>
    public int NumWorker { get; set; } = 1;

    /// <summary><c>-port</c>: the PULL port requests arrive on. Defaults to 5555.</summary>
    public int Port { get; set; } = 5555;

    /// <summary><c>-port_out</c>: the PUB port results leave from. Defaults to 5556.</summary>
    public int PortOut { get; set; } = 5556;

    /// <summary><c>-max_seq_len</c>: tokens per sentence including [CLS]/[SEP], longer input is cut on the right;
    /// null means <c>NONE</c> (up to the model's position limit). Defaults to what the model declares, else 25.</summary>
    public int? MaxSeqLen { get; set; } = 25;

    /// <summary>Whether <see cref="MaxSeqLen"/> was given on the command line (it then beats the model's own).</summary>
    public bool MaxSeqLenExplicit { get; set; }

    /// <summary><c>-max_batch_size</c>: most sentences in one inference batch. Defaults to 256.</summary>
    public int MaxBatchSize { get; set; } = 256;

    /// <summary><c>-pooling_strategy</c>: how token vectors become one sentence vector. Defaults to what the model
    /// declares, else REDUCE_MEAN.</summary>
    public PoolingStrategy PoolingStrategy { get; set; } = PoolingStrategy.ReduceMean;

    /// <summary>Whether <see cref="PoolingStrategy"/> was given on the command line.</summary>
    public bool PoolingStrategyExplicit { get; set; }

    /// <summary><c>-cpu</c>: never try CUDA. Defaults to false (CUDA when available, else CPU with a warning).</summary>
    public bool Cpu { get; set; }

    /// <summary><c>-device_map</c>: the CUDA device to use (the first id given; one session serves all workers). Defaults to 0.</summary>
    public int DeviceId { get; set; }

    /// <summary><c>-verbose</c>: debug logging. Defaults to false.</summary>
    public bool Verbose { get; set; }

    /// <summary><c>-max_batch_tokens</c>: most padded tokens (longest × count) in one inference batch; bounds each
    /// worker's buffers and keeps batches cache-sized. Defaults to 512: on a 2-core CPU, 512 beat 2048 by 6% and 256 by
    /// 16% (paired whole-process runs, see README "Benchmarks"); a GPU wants it raised to 8192 or more.</summary>
    public int MaxBatchTokens { get; set; } = 512;

    /// <summary><c>-max_request_sentences</c>: most sentences in one request. Defaults to 100,000.</summary>
    public int MaxRequestSentences { get; set; } = 100_000;

    /// <summary><c>-max_queued_requests</c>: requests waiting for tokenization before new ones get "busy".
    /// Defaults to 4096.</summary>
    public int MaxQueuedRequests { get; set; } = 4096;

    /// <summary>The first problem with these options, or null when they are usable.</summary>
    public string? Validate()
    {
        static bool IsPort(int p) => p is > 0 and <= 65535;
        if (!IsPort(Port)) return $"-port must be 1-65535, got {Port}.";
        if (!IsPort(PortOut)) return $"-port_out must be 1-65535, got {PortOut}.";
        if (Port == PortOut) return $"-port and -port_out must differ (both {Port}).";
        if (NumWorker < 1) return $"-num_worker must be at least 1, got {NumWorker}.";
        if (MaxSeqLen is <= 3) return $"-max_seq_len must be > 3 (room for [CLS], [SEP] and a token) or NONE, got {MaxSeqLen}.";
        if (MaxBatchSize < 1) return $"-max_batch_size must be at least 1, got {MaxBatchSize}.";
        if (MaxBatchTokens < 16) return $"-max_batch_tokens must be at least 16, got {MaxBatchTokens}.";
        if (MaxRequestSentences < 1) return $"-max_request_sentences must be at least 1, got {MaxRequestSentences}.";
        if (MaxQueuedRequests < 1) return $"-max_queued_requests must be at least 1, got {MaxQueuedRequests}.";
        if (DeviceId < 0) return $"-device_map ids must be >= 0, got {DeviceId}.";
        if (ModelDir is not null && !Directory.Exists(ModelDir)) return $"-model_dir {ModelDir} does not exist.";
        return null;
    }
}

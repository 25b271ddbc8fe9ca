namespace BertServing.Benchmarks;

/// <summary>What to measure: bas's <c>bert-serving-benchmark</c> flags, with defaults sized for a 2-core machine.</summary>
sealed class BenchmarkOptions
{
    /// <summary>Sentences, one per line. Defaults to the project's corpus (<c>tests/data/sentences-4000.txt</c>), copied beside the program.</summary>
    public string Corpus { get; set; } = Path.Combine(AppContext.BaseDirectory, "data", "sentences-4000.txt");

    /// <summary>Client batch sizes to try (bas's <c>-test_client_batch_size</c>).</summary>
    public int[] ClientBatchSizes { get; set; } = [1, 16, 256];

    /// <summary>Server <c>-max_batch_size</c> values to try.</summary>
    public int[] MaxBatchSizes { get; set; } = [];

    /// <summary>Server <c>-max_seq_len</c> values to try.</summary>
    public int[] MaxSeqLens { get; set; } = [];

    /// <summary>Concurrent client counts to try (each client its own thread and sockets).</summary>
    public int[] NumClients { get; set; } = [1, 4, 16, 64];

    /// <summary>Server <c>-pooling_layer</c> values to try.</summary>
    public int[] PoolingLayers { get; set; } = [];

    /// <summary>Timed rounds per configuration (after one warm-up round).</summary>
    public int NumRepeat { get; set; } = 3;

    /// <summary>Sentences per round, split evenly among the clients.</summary>
    public int RoundSentences { get; set; } = 1024;

    /// <summary>The client batch size while another parameter varies (bas's 4096 is sized for a GPU).</summary>
    public int ClientBatchSize { get; set; } = 256;

    /// <summary>Clients while another parameter varies.</summary>
    public int NumClient { get; set; } = 1;

    /// <summary>Seconds to wait for the server's ready line (bas's <c>-wait_till_ready</c>, which sleeps instead).</summary>
    public int WaitTillReady { get; set; } = 120;

    /// <summary>Server workers.</summary>
    public int NumWorker { get; set; } = 1;

    /// <summary>Idle-server latency probes (1-sentence requests).</summary>
    public int LatencyProbes { get; set; } = 200;

    /// <summary>Also measure the HTTP front (<c>/v1/embeddings</c> float and base64, bas's <c>/encode</c>) on the same server.</summary>
    public bool TestHttp { get; set; }

    /// <summary>Where the markdown tables and the SVG chart go.</summary>
    public string Output { get; set; } = "benchmark-results";
}

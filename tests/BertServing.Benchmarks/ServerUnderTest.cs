using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace BertServing.Benchmarks;

/// <summary>A <c>bertserving-start</c> child process on free loopback ports, so its memory is its own.</summary>
sealed class ServerUnderTest : IDisposable
{
    readonly Process _process;

    ServerUnderTest(Process process, int port, int portOut, int httpPort)
    {
        _process = process;
        Port = port;
        PortOut = portOut;
        HttpPort = httpPort;
    }

    public int Port { get; }

    public int PortOut { get; }

    /// <summary>The HTTP front's port; 0 when the server runs without one.</summary>
    public int HttpPort { get; }

    /// <summary>Resident memory now, from /proc (0 where there is none).</summary>
    public long ResidentBytes
    {
        get
        {
            var status = $"/proc/{_process.Id}/status";
            if (!File.Exists(status)) return 0;
            var line = File.ReadLines(status).FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
    }

    public static ServerUnderTest Start(IEnumerable<string> flags, TimeSpan waitTillReady, bool http = false)
    {
        var (port, portOut) = (FreePort(), FreePort());
        var httpPort = http ? FreePort() : 0;
        if (http)
            flags = [.. flags, "-http_port", httpPort.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "bertserving-start.dll"));
        foreach (var arg in (string[])["-cpu", "-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-port_out", portOut.ToString(System.Globalization.CultureInfo.InvariantCulture), .. flags])
            info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var ready = new TaskCompletionSource();
        var log = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (log) log.Add(e.Data);
            if (e.Data.Contains("ready to serve", StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.Add(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!ready.Task.Wait(waitTillReady))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException("The server did not become ready:\n" + string.Join('\n', log));
        }
        return new ServerUnderTest(process, port, portOut, httpPort);
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(30)))
                _process.Kill(entireProcessTree: true);
        }
        _process.Dispose();
    }
}

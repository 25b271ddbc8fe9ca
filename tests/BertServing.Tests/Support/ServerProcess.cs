using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace BertServing.Tests.Support;

/// <summary>
/// The real <c>bertserving-start</c>, run as its own process (as users run it) from the server project's build
/// output, with its console captured so tests can wait for "ready" and read start-up errors.
/// </summary>
public sealed class ServerProcess : IDisposable
{
    readonly Process _process;
    readonly ConcurrentQueue<string> _stdout = new();
    readonly ConcurrentQueue<string> _stderr = new();
    readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    ServerProcess(Process process, int port, int portOut)
    {
        _process = process;
        Port = port;
        PortOut = portOut;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            _stdout.Enqueue(e.Data);
            if (e.Data.Contains("ready to serve", StringComparison.Ordinal))
                _ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) _stderr.Enqueue(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>The server's build output folder (same configuration as the tests).</summary>
    public static string ServerDirectory { get; } = Path.Combine(RepoPaths.Root, "src", "BertServing.Server", "bin", Configuration, "net10.0");

    /// <summary>Debug or Release, as the tests were built.</summary>
    public static string Configuration => typeof(ServerProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    public int Port { get; }
    public int PortOut { get; }
    public string Stdout => string.Join('\n', _stdout);
    public string Stderr => string.Join('\n', _stderr);

    /// <summary>Starts a server on two free loopback ports and waits until it says it is ready.</summary>
    /// <remarks>
    /// No <c>-cpu</c> unless given, so the CUDA-to-CPU fallback runs as it does for users. A port found free can be taken by another test's server before this one binds it (binding comes after the
    /// model loads): such a start is retried on new ports, twice at most.
    /// </remarks>
    public static async Task<ServerProcess> StartAsync(params string[] extraArgs)
    {
        for (var attempt = 1; ; attempt++)
        {
            var (port, portOut) = (FreePort(), FreePort());
            try
            {
                return await StartExactAsync(port, portOut, ["-port", port.ToString(), "-port_out", portOut.ToString(), .. extraArgs]);
            }
            catch (InvalidOperationException e) when (attempt < 3 && e.Message.Contains("Cannot bind tcp://", StringComparison.Ordinal))
            {
            }
        }
    }

    /// <summary>Starts a server with exactly <paramref name="args"/>, which must bind <paramref name="port"/> and <paramref name="portOut"/>.</summary>
    public static Task<ServerProcess> StartExactAsync(int port, int portOut, params string[] args) =>
        WaitReadyAsync(Launch(args, port, portOut));

    /// <summary>
    /// Starts an installed <c>bertserving-start</c> (a tool's command, <paramref name="executable"/>) in
    /// <paramref name="workingDirectory"/> on two free loopback ports and waits until it says it is ready.
    /// </summary>
    public static Task<ServerProcess> StartInstalledAsync(string executable, string workingDirectory, params string[] extraArgs)
    {
        var (port, portOut) = (FreePort(), FreePort());
        return StartCommandAsync(port, portOut, executable, workingDirectory, new Dictionary<string, string>(), ["-port", port.ToString(), "-port_out", portOut.ToString(), .. extraArgs]);
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> with <paramref name="args"/> and <paramref name="environment"/> (a script or
    /// program that runs the server, which must bind <paramref name="port"/> and <paramref name="portOut"/>) and waits until it is ready.
    /// </summary>
    public static Task<ServerProcess> StartCommandAsync(int port, int portOut, string fileName, string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var info = Redirected(fileName, workingDirectory, args);
        foreach (var (name, value) in environment)
            info.Environment[name] = value;
        return WaitReadyAsync(new ServerProcess(Process.Start(info)!, port, portOut));
    }

    static async Task<ServerProcess> WaitReadyAsync(ServerProcess server)
    {
        var exited = server._process.WaitForExitAsync();
        // Generous: several tests start servers at once on 2 cores, and a graph build (int8, layers) comes first.
        var finished = await Task.WhenAny(server._ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(300)));
        if (finished != server._ready.Task)
        {
            var output = $"stdout:\n{server.Stdout}\nstderr:\n{server.Stderr}";
            server.Dispose();
            throw new InvalidOperationException($"The server did not become ready.\n{output}");
        }
        return server;
    }

    /// <summary>Runs the server with <paramref name="args"/> until it exits (for start-up failures).</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunToExitAsync(TimeSpan timeout, params string[] args)
    {
        using var server = Launch(args, 0, 0);
        using var cts = new CancellationTokenSource(timeout);
        await server._process.WaitForExitAsync(cts.Token);
        server._process.WaitForExit(); // flushes the redirected streams
        return (server._process.ExitCode, server.Stdout, server.Stderr);
    }

    static ServerProcess Launch(string[] args, int port, int portOut)
    {
        var dll = Path.Combine(ServerDirectory, "bertserving-start.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException($"Build the server first: {dll} is missing.", dll);
        return new ServerProcess(Process.Start(Redirected("dotnet", ServerDirectory, [dll, .. args]))!, port, portOut);
    }

    static ProcessStartInfo Redirected(string fileName, string workingDirectory, string[] args)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (var arg in args)
            info.ArgumentList.Add(arg);
        return info;
    }

    /// <summary>A port the OS just gave out and released; good enough on a test machine.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Waits for the server to end by itself: its exit code, or null if it still runs after <paramref name="timeout"/>.</summary>
    public async Task<int?> ExitCodeAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        return _process.ExitCode;
    }

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The server's resident memory now, from <c>/proc</c>.</summary>
    public long ResidentBytes
    {
        get
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
    }

    /// <summary>Kills the server at once (SIGKILL): a crash, as far as its clients can tell.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    /// <summary>Asks the server to stop (SIGTERM) and waits for it to exit.</summary>
    public int Stop(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            Process.Start("kill", ["-TERM", _process.Id.ToString()])!.WaitForExit();
            if (!_process.WaitForExit(timeout))
                _process.Kill(entireProcessTree: true);
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}

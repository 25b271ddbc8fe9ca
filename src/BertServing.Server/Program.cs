using BertServing.Server.Hosting;
using BertServing.Server.Models;
using BertServing.Server.Options;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Events;

// Exit codes: 0 clean stop, 1 start-up failure (message on stderr), 2 bad command line.
var root = BertServing.Server.Hosting.CommandLine.Build();
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
    return Fail(2, parse.Errors[0].Message + " (see -help)");
// The root command has no action of its own, so any action left is -help or -version.
if (parse.Action is not null)
    return parse.Invoke();

var options = BertServing.Server.Hosting.CommandLine.ToOptions(parse, out var error);
error ??= options.Validate();
if (error is not null)
    return Fail(2, error);

if (parse.GetValue(BertServing.Server.Hosting.CommandLine.CurveKeygen) is { } keyFile)
{
    try
    {
        Console.WriteLine(CurveKeys.Generate(keyFile));
        return 0;
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        return Fail(1, $"Cannot write the key pair to {keyFile}: {e.Message}");
    }
}

if (parse.GetValue(BertServing.Server.Hosting.CommandLine.ExportModel) is { } exportDir)
{
    try
    {
        ModelExporter.ExportBuiltIn(exportDir);
        Console.WriteLine($"Wrote the built-in model {BuiltInModel.Name} to {Path.GetFullPath(exportDir)}; serve it with -model_dir {exportDir}");
        return 0;
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
    {
        return Fail(1, $"Cannot export the built-in model to {exportDir}: {e.Message}");
    }
}

Log.Logger = new LoggerConfiguration()
    .MinimumLevel.Is(options.Verbose ? LogEventLevel.Debug : LogEventLevel.Information)
    .MinimumLevel.Override("Microsoft", LogEventLevel.Warning)
    .Enrich.FromLogContext()
    // A host logs a failed start with its stack trace. These failures (a StartupException, the HTTP port's bind error)
    // are a user's problem, told once in one line by Fail below.
    .Filter.ByExcluding(e => HostFailure(e) && e.Exception is StartupException or IOException or System.Net.Sockets.SocketException)
    .WriteTo.Console(outputTemplate: "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}{Exception}", formatProvider: System.Globalization.CultureInfo.InvariantCulture)
    .CreateLogger();
try
{
    Log.Information("bertserving-start {Version}, arguments:{NewLine}{Arguments}", ServerVersion.Current, Environment.NewLine, ArgumentTable.Format(options));
    var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = false, Args = [] });
    builder.Services.AddSerilog();
    builder.Services.AddSingleton(options);
    builder.Services.AddHostedService<ServerHostedService>();
    using var host = builder.Build();
    await host.RunAsync();
    return 0;
}
catch (StartupException e)
{
    Log.Debug(e.InnerException, "Start-up failed");
    return Fail(1, e.Message);
}
finally
{
    await Log.CloseAndFlushAsync();
}

// Only the host's own "Hosting failed to start" event: other logs of these exception types stay.
static bool HostFailure(LogEvent e) =>
    e.MessageTemplate.Text.StartsWith("Hosting failed to start", StringComparison.Ordinal)
    && Serilog.Filters.Matching.FromSource("Microsoft.Extensions.Hosting.Internal.Host")(e);

static int Fail(int code, string message)
{
    Console.Error.WriteLine($"bertserving-start: error: {message}");
    return code;
}

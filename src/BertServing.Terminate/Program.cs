using System.CommandLine;
using NetMQ;
using NetMQ.Sockets;

// bert-serving-terminate's flags and message: [b'0', b'TERMINATION', b'0', b'0'] to the server's request port.
// Exit codes: 0 sent, 1 not sent within the timeout, 2 bad command line.
var ip = new Option<string>("-ip", "--ip") { Description = "Server host.", DefaultValueFactory = _ => "localhost" };
var port = new Option<int>("-port", "--port", "-port_in", "-port_data") { Description = "The server's request port (-port).", Required = true };
var timeout = new Option<int>("-timeout", "--timeout") { Description = "Milliseconds to wait for the connection.", DefaultValueFactory = _ => 5000 };
var root = new RootCommand("bertserving-terminate: asks a BertServing server to shut down.") { ip, port, timeout };
foreach (var option in root.Options)
{
    if (option is System.CommandLine.Help.HelpOption) option.Aliases.Add("-help");
    if (option is VersionOption) option.Aliases.Add("-version");
}
var parse = root.Parse(args);
if (parse.Errors.Count > 0)
{
    Console.Error.WriteLine($"bertserving-terminate: error: {parse.Errors[0].Message} (see -help)");
    return 2;
}
if (parse.Action is not null)
    return parse.Invoke();

var (host, target, wait) = (parse.GetValue(ip)!, parse.GetValue(port), TimeSpan.FromMilliseconds(parse.GetValue(timeout)));
bool sent;
using (var push = new PushSocket())
{
    // Attach only once the TCP connection is up, so "sent" means it reached the server, not a local queue.
    push.Options.DelayAttachOnConnect = true;
    push.Options.Linger = wait;
    push.Connect($"tcp://{host}:{target}");
    var message = new NetMQMessage();
    message.Append("0");
    message.Append("TERMINATION");
    message.Append("0");
    message.Append("0");
    sent = push.TrySendMultipartMessage(wait, message);
    if (!sent)
        push.Options.Linger = TimeSpan.Zero;
}
NetMQConfig.Cleanup(block: sent);
if (!sent)
{
    Console.Error.WriteLine($"bertserving-terminate: error: no connection to tcp://{host}:{target} within {wait.TotalMilliseconds:0} ms. Is the server running, and is -port its request port?");
    return 1;
}
Console.WriteLine($"shutdown signal sent to {target}");
return 0;

using System.CommandLine;
using System.Text.Json;
using NetMQ;
using NetMQ.Sockets;

// bert-serving-terminate's flags and message: [identity, b'TERMINATION', b'0', b'0'] to the server's request port;
// with -token, b'TERMINATION:<token>' for a server started with -termination_token. With -port_out it also listens
// for the server's answer, so a refusal (termination disabled, wrong token) is reported instead of lost.
// Exit codes: 0 sent (and not refused), 1 not sent within the timeout or refused, 2 bad command line.
var ip = new Option<string>("-ip", "--ip") { Description = "Server host.", DefaultValueFactory = _ => "localhost" };
var port = new Option<int>("-port", "--port", "-port_in", "-port_data") { Description = "The server's request port (-port).", Required = true };
var timeout = new Option<int>("-timeout", "--timeout") { Description = "Milliseconds to wait for the connection.", DefaultValueFactory = _ => 5000 };
var portOut = new Option<int?>("-port_out", "--port_out", "-port_result") { Description = "The server's result port: wait there for a refusal." };
var token = new Option<string?>("-token", "--token") { Description = "The server's -termination_token." };
var curveKey = new Option<string?>("-curve_server_key", "--curve_server_key") { Description = "The server's CurveZMQ public key (a server started with -curve_key_file)." };
var root = new RootCommand("bertserving-terminate: asks a BertServing server to shut down (it must run with -enable_termination).") { ip, port, timeout, portOut, token, curveKey };
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
var identity = Guid.NewGuid().ToString("N");
var curve = parse.GetValue(curveKey) is { } serverKey ? (Server: NetMQCertificate.FromPublicKey(serverKey), Mine: new NetMQCertificate()) : default;
void Secure(NetMQSocket socket)
{
    if (curve.Server is null) return;
    socket.Options.CurveServerCertificate = curve.Server;
    socket.Options.CurveCertificate = curve.Mine;
}
using var replies = parse.GetValue(portOut) is { } resultPort ? new SubscriberSocket() : null;
if (replies is not null)
{
    replies.Options.Linger = TimeSpan.Zero;
    Secure(replies);
    replies.Subscribe(identity);
    replies.Connect($"tcp://{host}:{parse.GetValue(portOut)}");
}
bool sent;
using (var push = new PushSocket())
{
    // Attach only once the TCP connection is up, so "sent" means it reached the server, not a local queue.
    push.Options.DelayAttachOnConnect = true;
    Secure(push);
    push.Options.Linger = wait;
    push.Connect($"tcp://{host}:{target}");
    var message = new NetMQMessage();
    message.Append(identity);
    message.Append(parse.GetValue(token) is { } secret ? "TERMINATION:" + secret : "TERMINATION");
    message.Append("0");
    message.Append("0");
    sent = push.TrySendMultipartMessage(wait, message);
    if (!sent)
        push.Options.Linger = TimeSpan.Zero;
}
// A server that obeys goes quiet; one that refuses answers at once with an error naming the reason.
NetMQMessage? reply = null;
if (sent && replies is not null && replies.TryReceiveMultipartMessage(TimeSpan.FromMilliseconds(Math.Min(wait.TotalMilliseconds, 2000)), ref reply) && reply.FrameCount >= 2)
{
    using var header = JsonDocument.Parse(reply[1].Buffer.AsMemory(0, reply[1].MessageSize));
    if (header.RootElement.TryGetProperty("error", out var error))
    {
        Console.Error.WriteLine($"bertserving-terminate: error: the server refused: {error.GetProperty("message").GetString()}");
        replies.Dispose();
        NetMQConfig.Cleanup(block: false);
        return 1;
    }
}
replies?.Dispose();
NetMQConfig.Cleanup(block: sent);
if (!sent)
{
    Console.Error.WriteLine($"bertserving-terminate: error: no connection to tcp://{host}:{target} within {wait.TotalMilliseconds:0} ms. Is the server running, and is -port its request port?");
    return 1;
}
// bas prints this and exits 0; without -port_out nobody listens for a refusal, so say so rather than imply success.
Console.WriteLine(replies is null
    ? $"shutdown signal sent to {target} (not confirmed: pass -port_out to hear a refusal)"
    : $"shutdown signal sent to {target}; no refusal within {Math.Min(wait.TotalMilliseconds, 2000):0} ms");
return 0;

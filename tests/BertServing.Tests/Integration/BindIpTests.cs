using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using BertServing.Client;
using BertServing.Tests.Support;

namespace BertServing.Tests.Integration;

/// <summary><c>-bind_ip</c>: a server bound to loopback serves this machine and is unreachable through its other addresses.</summary>
public sealed class BindIpTests
{
    static string S(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>This machine's first IPv4 address that is not loopback, if it has one.</summary>
    static IPAddress? External() =>
        NetworkInterface.GetAllNetworkInterfaces()
            .Where(n => n.OperationalStatus == OperationalStatus.Up && n.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));

    static async Task<bool> AcceptsAsync(IPAddress address, int port)
    {
        using var tcp = new TcpClient();
        try
        {
            await tcp.ConnectAsync(address, port).WaitAsync(TimeSpan.FromSeconds(10));
            return true;
        }
        catch (Exception e) when (e is SocketException or TimeoutException)
        {
            return false;
        }
    }

    [Fact]
    public async Task A_loopback_bound_server_serves_loopback_only_and_the_default_binds_every_interface()
    {
        var external = External() ?? IPAddress.Loopback;
        var http = ServerProcess.FreePort();
        using var loopback = await ServerProcess.StartAsync("-cpu", "-bind_ip", "127.0.0.1", "-http_port", S(http));
        using var everywhere = await ServerProcess.StartAsync("-cpu");

        using (var client = new BertClient("127.0.0.1", loopback.Port, loopback.PortOut, TimeSpan.FromSeconds(60)))
            Assert.Equal(384, client.Encode(["over loopback"]).Dimension);
        using (var web = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
            Assert.Equal(HttpStatusCode.OK, (await web.GetAsync(new Uri($"http://127.0.0.1:{S(http)}/health"))).StatusCode);
        Assert.Contains("tcp://127.0.0.1:", loopback.Stdout, StringComparison.Ordinal);
        if (IPAddress.IsLoopback(external))
            return; // a machine with no other address (a container without a network): nothing else to refuse from
        foreach (var port in new[] { loopback.Port, loopback.PortOut, http })
            Assert.False(await AcceptsAsync(external, port), $"port {port} answered on {external} despite -bind_ip 127.0.0.1");
        Assert.True(await AcceptsAsync(external, everywhere.Port), $"the default server should listen on {external} too");
    }
}

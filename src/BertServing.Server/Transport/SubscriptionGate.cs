using Microsoft.Extensions.Logging;
using NetMQ;

namespace BertServing.Server.Transport;

/// <summary>
/// Holds replies until someone can receive them. PUB drops a message whose topic nobody has subscribed to yet, and a
/// client's SUB subscription travels on its own connection, so it can reach us after the client's first request
/// has been answered (the slow joiner; bert-as-service papers over it with a 0.1 s sleep). The XPUB socket reports
/// each subscription; a reply waits here until a subscribed topic is a prefix of its identity, or is dropped with a
/// log line after <see cref="HoldTime"/>.
/// </summary>
/// <remarks>Not thread-safe: the poller thread that owns the XPUB socket owns this.</remarks>
sealed class SubscriptionGate(ILogger logger)
{
    /// <summary>How long a reply waits for its subscriber.</summary>
    public static readonly TimeSpan HoldTime = TimeSpan.FromSeconds(5);

    /// <summary>Most replies held at once; beyond it the oldest goes (memory stays bounded).</summary>
    public const int MaxHeld = 10_000;

    /// <summary>
    /// How long a config or status reply waits when its identity already has a subscriber: another client sharing the
    /// identity (bas's multicast) may have sent it before its own SUB connected, and nothing on the wire tells the two
    /// apart. bert-as-service's sink sleeps the same 0.1 s before these replies.
    /// </summary>
    public static readonly TimeSpan SharedIdentityDelay = TimeSpan.FromMilliseconds(100);

    readonly List<byte[]> _topics = [];
    readonly LinkedList<(byte[] Identity, NetMQMessage Message, DateTime Deadline)> _held = new();
    readonly Queue<(NetMQMessage Message, DateTime ReleaseAt)> _delayed = new();
    long _dropped;
    byte[]? _lastDropped;
    DateTime _nextDropReport;

    /// <summary>Replies waiting for a subscriber.</summary>
    public int HeldCount => _held.Count;

    /// <summary>Records an XPUB subscription frame (1 = subscribe, 0 = unsubscribe, then the topic) and returns replies it releases.</summary>
    public IEnumerable<NetMQMessage> OnSubscriptionFrame(byte[] frame)
    {
        if (frame.Length == 0) return [];
        var topic = frame.AsSpan(1).ToArray();
        if (frame[0] == 0)
        {
            // XPUB reports an unsubscription only when the last subscriber of that topic leaves.
            _topics.RemoveAll(t => t.AsSpan().SequenceEqual(topic));
            return [];
        }
        if (!_topics.Exists(t => t.AsSpan().SequenceEqual(topic)))
            _topics.Add(topic);
        return Release(topic);
    }

    /// <summary>True when a reply to <paramref name="identity"/> would reach someone now.</summary>
    public bool IsSubscribed(ReadOnlySpan<byte> identity)
    {
        foreach (var topic in _topics)
            if (identity.StartsWith(topic)) return true;
        return false;
    }

    /// <summary>Keeps <paramref name="message"/> until its identity is subscribed.</summary>
    public void Hold(byte[] identity, NetMQMessage message)
    {
        if (_held.Count >= MaxHeld)
        {
            Dropped(_held.First!.Value.Identity);
            _held.RemoveFirst();
        }
        _held.AddLast((identity, message, DateTime.UtcNow + HoldTime));
    }

    /// <summary>Publishes <paramref name="message"/> after <see cref="SharedIdentityDelay"/> (see there).</summary>
    public void Delay(NetMQMessage message) => _delayed.Enqueue((message, DateTime.UtcNow + SharedIdentityDelay));

    /// <summary>Returns the delayed replies that are due; with <paramref name="all"/>, every one (at shutdown).</summary>
    public IEnumerable<NetMQMessage> Due(bool all = false)
    {
        var now = all ? DateTime.MaxValue : DateTime.UtcNow;
        var due = new List<NetMQMessage>();
        while (_delayed.TryPeek(out var next) && next.ReleaseAt <= now)
            due.Add(_delayed.Dequeue().Message);
        return due;
    }

    /// <summary>Drops replies whose subscriber never came.</summary>
    public void Expire()
    {
        var now = DateTime.UtcNow;
        while (_held.First is { } first && first.Value.Deadline <= now)
        {
            Dropped(first.Value.Identity);
            _held.RemoveFirst();
        }
        if (_dropped > 0 && now >= _nextDropReport)
        {
            // One line per interval, not one per reply: a flood of requests from clients that never subscribe
            // (a scanner, a fuzzer) must not turn into a flood of log lines.
            logger.LogWarning("Dropped {Count} replies nobody subscribed to within {Seconds} s, the last to {Identity} (is the client's SUB socket connected to -port_out?)",
                _dropped, HoldTime.TotalSeconds, Printable(_lastDropped!));
            _dropped = 0;
            _nextDropReport = now + HoldTime;
        }
    }

    void Dropped(byte[] identity)
    {
        _dropped++;
        _lastDropped = identity;
    }

    List<NetMQMessage> Release(byte[] topic)
    {
        var released = new List<NetMQMessage>();
        for (var node = _held.First; node is not null;)
        {
            var next = node.Next;
            if (node.Value.Identity.AsSpan().StartsWith(topic))
            {
                released.Add(node.Value.Message);
                _held.Remove(node);
            }
            node = next;
        }
        return released;
    }

    internal static string Printable(byte[] identity) =>
        identity.All(b => b is >= 32 and < 127) ? System.Text.Encoding.ASCII.GetString(identity) : Convert.ToHexString(identity);
}

using System.Net;
using System.Reactive.Concurrency;
using System.Reactive.Subjects;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Reactive.Testing;
using SecretChat.Signaling.PeerToPeer;
using SecretChat.Transport.Udp;

namespace SecretChat.Signaling.Tests.PeerToPeer;

/// <summary>
/// A few hosts behind full-cone NATs and a real signaling server (<see cref="Rendezvous"/>) on a virtual network in
/// the time of a <see cref="TestScheduler"/>. Every datagram takes <see cref="Latency"/>; a host's datagrams leave
/// from its public address; host (private) addresses are not reachable from outside. <see cref="Blocks"/> drops what
/// a firewall would.
/// </summary>
internal sealed class VirtualInternet : IDisposable
{
    public static readonly IPEndPoint Server = IPEndPoint.Parse("192.0.2.1:3478");

    private readonly Dictionary<IPEndPoint, Host> _byPublic = [];
    private readonly Dictionary<IPEndPoint, Rendezvous> _servers = [];

    /// <param name="scheduler">The virtual clock.</param>
    /// <param name="moreServers">Signaling servers besides <see cref="Server"/>, each with rooms of its own (no shared state).</param>
    public VirtualInternet(TestScheduler scheduler, params IPEndPoint[] moreServers)
    {
        Scheduler = scheduler;
        foreach (var address in moreServers.Prepend(Server))
            _servers.Add(address, new Rendezvous(new SignalingServerOptions(), NullLogger.Instance, scheduler, (datagram, to) => Transmit(address, address, to, datagram)));
    }

    public TestScheduler Scheduler { get; }

    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>(from public, to) → dropped on the way.</summary>
    public Func<IPEndPoint, IPEndPoint, bool> Blocks { get; set; } = (_, _) => false;

    /// <summary>Every datagram sent: when (ticks), by which host (its private address; the server's own), to where, and the bytes.</summary>
    public List<(long At, IPEndPoint From, IPEndPoint To, byte[] Bytes)> Sent { get; } = [];

    /// <summary>A host with its socket at <paramref name="local"/> behind a NAT that maps it to <paramref name="mapped"/>.</summary>
    public PeerSocket Attach(IPEndPoint local, IPEndPoint mapped) => Attach(local, mapped, [Server]);

    /// <summary>As <see cref="Attach(IPEndPoint, IPEndPoint)"/>, for a client of the signaling servers <paramref name="servers"/>, in that order.</summary>
    public PeerSocket Attach(IPEndPoint local, IPEndPoint mapped, IReadOnlyList<IPEndPoint> servers)
    {
        var host = new Host(local, mapped);
        _byPublic.Add(mapped, host);
        return new PeerSocket(host.Inbound, (datagram, to, _) =>
        {
            Transmit(local, mapped, to, datagram.ToArray());
            return ValueTask.CompletedTask;
        }, local, servers, host, Scheduler);
    }

    /// <summary>
    /// A host behind a NAT with endpoint-dependent (symmetric) mapping: its datagrams to a signaling server leave from
    /// <paramref name="towardServers"/>, to anyone else from <paramref name="towardOthers"/>; both reach it (filtering is
    /// the test's <see cref="Blocks"/>).
    /// </summary>
    public PeerSocket AttachSymmetric(IPEndPoint local, IPEndPoint towardServers, IPEndPoint towardOthers)
    {
        var host = new Host(local, towardServers);
        _byPublic.Add(towardServers, host);
        _byPublic.Add(towardOthers, host);
        return new PeerSocket(host.Inbound, (datagram, to, _) =>
        {
            Transmit(local, _servers.ContainsKey(to) ? towardServers : towardOthers, to, datagram.ToArray());
            return ValueTask.CompletedTask;
        }, local, [Server], host, Scheduler);
    }

    /// <summary>A datagram from anyone on the internet, as if sent now.</summary>
    public void Inject(IPEndPoint from, IPEndPoint to, byte[] datagram) => Transmit(from, from, to, datagram);

    public void Dispose()
    {
        foreach (var server in _servers.Values)
            server.Dispose();
    }

    private void Transmit(IPEndPoint sender, IPEndPoint source, IPEndPoint to, byte[] datagram)
    {
        Sent.Add((Scheduler.Clock, sender, to, datagram));
        if (Blocks(source, to))
            return;
        Scheduler.Schedule(Latency, () =>
        {
            if (_servers.TryGetValue(to, out var server))
                server.Receive(datagram, source);
            else if (_byPublic.TryGetValue(to, out var host))
                host.Inbound.OnNext(new Datagram(source, datagram));
        });
    }

    private sealed class Host(IPEndPoint local, IPEndPoint mapped) : IAsyncDisposable
    {
        public IPEndPoint Local { get; } = local;

        public IPEndPoint Mapped { get; } = mapped;

        public Subject<Datagram> Inbound { get; } = new();

        public ValueTask DisposeAsync()
        {
            Inbound.OnCompleted();
            return ValueTask.CompletedTask;
        }
    }
}

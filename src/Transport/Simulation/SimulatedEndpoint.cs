using System.Net;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using SecretChat.Transport.Udp;

namespace SecretChat.Transport.Simulation;

/// <summary>
/// One end of a <see cref="SimulatedLink"/>: datagrams in, datagrams out. As an <see cref="IDatagramTransport"/> it
/// has an address (<see cref="LocalEndPoint"/>), receives from its peer's address and sends only to it (a datagram
/// to any other address is lost, as on a network with no route).
/// </summary>
public sealed class SimulatedEndpoint : IDatagramTransport
{
    private readonly SimulatedLink _link;
    private readonly Subject<ReadOnlyMemory<byte>> _received = new();

    internal SimulatedEndpoint(SimulatedLink link, string name, IPEndPoint address)
    {
        _link = link;
        Name = name;
        LocalEndPoint = address;
        Datagrams = Received.Select(datagram => new Datagram(Peer.LocalEndPoint, datagram));
    }

    /// <summary>"A" or "B".</summary>
    public string Name { get; }

    /// <summary>This end's simulated address.</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>In-process (<see cref="TransportKind.InMemory"/>).</summary>
    public TransportKind Transport => TransportKind.InMemory;

    /// <summary>
    /// <see cref="Received"/> as datagrams from the peer's address (each payload a fresh array the observer may keep).
    /// </summary>
    public IObservable<Datagram> Datagrams { get; }

    /// <summary>The other end.</summary>
    public SimulatedEndpoint Peer { get; internal set; } = null!;

    /// <summary>True while datagrams sent from this end are silently dropped.</summary>
    public bool IsCut { get; private set; }

    /// <summary>
    /// Datagrams from the other end, on the link's scheduler. Hot: datagrams arriving with no
    /// subscriber are gone, as on a real socket. Each datagram is a fresh array the observer may keep.
    /// </summary>
    public IObservable<ReadOnlyMemory<byte>> Received => _received.AsObservable();

    /// <summary>Sends a copy of <paramref name="datagram"/> to the other end, subject to the link's mischief.</summary>
    public void Send(ReadOnlyMemory<byte> datagram) => _link.Transfer(this, datagram);

    /// <summary>Sends to <paramref name="remoteEndPoint"/>: the peer's address reaches it, any other loses the datagram.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> datagram, IPEndPoint remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(remoteEndPoint);
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        if (remoteEndPoint.Equals(Peer.LocalEndPoint))
            Send(datagram);
        return ValueTask.CompletedTask;
    }

    /// <summary>Silences this direction (sent datagrams are dropped; those in flight still arrive).</summary>
    public void Cut() => IsCut = true;

    /// <summary>Undoes <see cref="Cut"/>.</summary>
    public void Restore() => IsCut = false;

    internal void Deliver(byte[] datagram) => _received.OnNext(datagram);
}

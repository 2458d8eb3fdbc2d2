using System.Reactive.Linq;
using System.Reactive.Subjects;

namespace SecretChat.Transport.Simulation;

/// <summary>One end of a <see cref="SimulatedLink"/>: datagrams in, datagrams out.</summary>
public sealed class SimulatedEndpoint
{
    private readonly SimulatedLink _link;
    private readonly Subject<ReadOnlyMemory<byte>> _received = new();

    internal SimulatedEndpoint(SimulatedLink link, string name)
    {
        _link = link;
        Name = name;
    }

    /// <summary><c>A</c> or <c>B</c>, for messages and logs.</summary>
    public string Name { get; }

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

    /// <summary>Silences this direction (sent datagrams are dropped; those in flight still arrive).</summary>
    public void Cut() => IsCut = true;

    /// <summary>Undoes <see cref="Cut"/>: datagrams sent from this end travel again.</summary>
    public void Restore() => IsCut = false;

    internal void Deliver(byte[] datagram) => _received.OnNext(datagram);
}

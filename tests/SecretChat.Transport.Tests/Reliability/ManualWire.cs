using System.Buffers.Binary;
using Microsoft.Reactive.Testing;
using SecretChat.Transport.Reliability;

namespace SecretChat.Transport.Tests.Reliability;

/// <summary>Two sessions whose payloads wait in queues until the test delivers, drops or reorders them.</summary>
internal sealed class ManualWire : IDisposable
{
    public ManualWire(ReliabilityOptions? options = null, ReliabilityOptions? optionsB = null)
    {
        Options = options ?? new ReliabilityOptions();
        A = new ReliableSession(Options, Scheduler, p => { AtoB.Add(p.ToArray()); SentByA.Add((Scheduler.Clock, p.ToArray())); });
        B = new ReliableSession(optionsB ?? Options, Scheduler, p => { BtoA.Add(p.ToArray()); SentByB.Add((Scheduler.Clock, p.ToArray())); });
        A.Messages.Subscribe(m => ReceivedByA.Add(m.ToArray()), e => ErrorA = e, () => CompletedA = true);
        B.Messages.Subscribe(m => ReceivedByB.Add(m.ToArray()), e => ErrorB = e, () => CompletedB = true);
    }

    public ReliabilityOptions Options { get; }
    public TestScheduler Scheduler { get; } = new();
    public ReliableSession A { get; }
    public ReliableSession B { get; }
    public List<byte[]> AtoB { get; } = [];
    public List<byte[]> BtoA { get; } = [];
    public List<(long Time, byte[] Payload)> SentByA { get; } = [];
    public List<(long Time, byte[] Payload)> SentByB { get; } = [];
    public List<byte[]> ReceivedByA { get; } = [];
    public List<byte[]> ReceivedByB { get; } = [];
    public Exception? ErrorA { get; private set; }
    public Exception? ErrorB { get; private set; }
    public bool CompletedA { get; private set; }
    public bool CompletedB { get; private set; }

    /// <summary>Delivers what is queued, both ways, until nothing is left (acks of acks included).</summary>
    public void Pump()
    {
        while (AtoB.Count > 0 || BtoA.Count > 0)
        {
            DeliverToB();
            DeliverToA();
        }
    }

    public void DeliverToB(Func<byte[], bool>? keep = null) => Deliver(AtoB, B, keep);

    public void DeliverToA(Func<byte[], bool>? keep = null) => Deliver(BtoA, A, keep);

    /// <summary>Advances virtual time, delivering everything promptly (a zero-delay lossless link).</summary>
    public void Run(TimeSpan duration, TimeSpan? step = null)
    {
        var end = Scheduler.Clock + duration.Ticks;
        var tick = (step ?? TimeSpan.FromMilliseconds(1)).Ticks;
        while (Scheduler.Clock < end)
        {
            Pump();
            Scheduler.AdvanceBy(Math.Min(tick, end - Scheduler.Clock));
        }
        Pump();
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }

    public static ReliabilityPacketType TypeOf(byte[] payload) => (ReliabilityPacketType)(payload[0] & 0x0F);

    public static uint SequenceOf(byte[] payload) => TypeOf(payload) switch
    {
        ReliabilityPacketType.Data => BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(2)),
        ReliabilityPacketType.Close => BinaryPrimitives.ReadUInt32BigEndian(payload.AsSpan(1)),
        _ => throw new ArgumentException("Not a sequenced packet.", nameof(payload)),
    };

    public static bool IsData(byte[] payload) => TypeOf(payload) == ReliabilityPacketType.Data;

    private static void Deliver(List<byte[]> queue, ReliableSession to, Func<byte[], bool>? keep)
    {
        var batch = queue.ToArray();
        queue.Clear();
        foreach (var payload in batch)
        {
            if (keep is null || keep(payload))
                to.Receive(payload);
        }
    }
}

using Microsoft.Reactive.Testing;
using SecretChat.Transport.Reliability;
using SecretChat.Transport.Simulation;

namespace SecretChat.Transport.Tests.Reliability;

/// <summary>Two sessions over a <see cref="SimulatedLink"/> in virtual time.</summary>
internal sealed class SessionPair : IDisposable
{
    public SessionPair(ReliabilityOptions options, SimulatedLinkOptions link)
    {
        Link = new SimulatedLink(Scheduler, link);
        A = new ReliableSession(options, Scheduler, p => Link.A.Send(p));
        B = new ReliableSession(options, Scheduler, p => Link.B.Send(p));
        Link.A.Received.Subscribe(p => A.Receive(p.Span));
        Link.B.Received.Subscribe(p => B.Receive(p.Span));
        A.Messages.Subscribe(m => ReceivedByA.Add(m.ToArray()), e => ErrorA = e, () => CompletedA = true);
        B.Messages.Subscribe(m => ReceivedByB.Add(m.ToArray()), e => ErrorB = e, () => CompletedB = true);
    }

    public TestScheduler Scheduler { get; } = new();
    public SimulatedLink Link { get; }
    public ReliableSession A { get; }
    public ReliableSession B { get; }
    public List<byte[]> ReceivedByA { get; } = [];
    public List<byte[]> ReceivedByB { get; } = [];
    public Exception? ErrorA { get; private set; }
    public Exception? ErrorB { get; private set; }
    public bool CompletedA { get; private set; }
    public bool CompletedB { get; private set; }

    /// <summary>Advances virtual time in steps until <paramref name="done"/> holds; false if <paramref name="limit"/> passes first.</summary>
    public bool RunUntil(Func<bool> done, TimeSpan limit, TimeSpan? step = null)
    {
        var end = Scheduler.Clock + limit.Ticks;
        var tick = (step ?? TimeSpan.FromMilliseconds(5)).Ticks;
        while (!done())
        {
            if (Scheduler.Clock >= end)
                return false;
            Scheduler.AdvanceBy(tick);
        }
        return true;
    }

    public void Dispose()
    {
        A.Dispose();
        B.Dispose();
    }
}

using Microsoft.Reactive.Testing;
using SecretChat.Transport.Simulation;

namespace SecretChat.Transport.Tests.Simulation;

public class SimulatedLinkTests
{
    private static (TestScheduler Scheduler, SimulatedLink Link, List<(long Time, byte[] Datagram)> AtB, List<(long Time, byte[] Datagram)> AtA) Create(SimulatedLinkOptions options)
    {
        var scheduler = new TestScheduler();
        var link = new SimulatedLink(scheduler, options);
        var atB = new List<(long, byte[])>();
        var atA = new List<(long, byte[])>();
        link.B.Received.Subscribe(d => atB.Add((scheduler.Clock, d.ToArray())));
        link.A.Received.Subscribe(d => atA.Add((scheduler.Clock, d.ToArray())));
        return (scheduler, link, atB, atA);
    }

    private static long Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds).Ticks;

    [Fact]
    public void Send_PerfectLink_DeliversACopyAfterTheDelay()
    {
        var (scheduler, link, atB, atA) = Create(new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(30) });
        var datagram = new byte[] { 1, 2, 3 };

        link.A.Send(datagram);
        datagram[0] = 9;
        link.B.Send(new byte[] { 4 });
        scheduler.AdvanceBy(Ms(30) - 1);
        Assert.Empty(atB);
        scheduler.AdvanceBy(1);

        var (time, received) = Assert.Single(atB);
        Assert.Equal(Ms(30), time);
        Assert.Equal(new byte[] { 1, 2, 3 }, received);
        Assert.Equal(new byte[] { 4 }, Assert.Single(atA).Datagram);
        Assert.Equal(2, link.Statistics.Delivered);
    }

    [Fact]
    public void Send_TwentyPercentLoss_DropsAboutThatManyAndCountsThem()
    {
        var (scheduler, link, atB, _) = Create(new SimulatedLinkOptions { LossRate = 0.2, Seed = 3 });

        for (var i = 0; i < 10_000; i++)
            link.A.Send(BitConverter.GetBytes(i));
        scheduler.AdvanceBy(Ms(100));

        var statistics = link.Statistics;
        Assert.InRange(statistics.Lost, 1800, 2200);
        Assert.Equal(10_000 - statistics.Lost, atB.Count);
        Assert.Equal(atB.Count, statistics.Delivered);
    }

    [Fact]
    public void Send_Duplication_DeliversSomeTwice()
    {
        var (scheduler, link, atB, _) = Create(new SimulatedLinkOptions { DuplicationRate = 0.05, Seed = 4 });

        for (var i = 0; i < 10_000; i++)
            link.A.Send(BitConverter.GetBytes(i));
        scheduler.AdvanceBy(Ms(100));

        var duplicated = link.Statistics.Duplicated;
        Assert.InRange(duplicated, 400, 600);
        Assert.Equal(10_000 + duplicated, atB.Count);
        Assert.Equal(10_000, atB.Select(d => BitConverter.ToInt32(d.Datagram)).Distinct().Count());
    }

    [Fact]
    public void Send_Reordering_DeliversSomeOutOfOrder()
    {
        var (scheduler, link, atB, _) = Create(new SimulatedLinkOptions { ReorderRate = 0.1, ReorderDelay = TimeSpan.FromMilliseconds(20), Seed = 5 });

        for (var i = 0; i < 1_000; i++)
        {
            link.A.Send(BitConverter.GetBytes(i));
            scheduler.AdvanceBy(Ms(1));
        }
        scheduler.AdvanceBy(Ms(100));

        var order = atB.Select(d => BitConverter.ToInt32(d.Datagram)).ToList();
        Assert.Equal(1_000, order.Count);
        Assert.NotEqual(order.Order(), order);
        Assert.True(link.Statistics.Reordered > 50);
    }

    [Fact]
    public void Send_Jitter_StaysWithinBounds()
    {
        var (scheduler, link, atB, _) = Create(new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(10), Jitter = TimeSpan.FromMilliseconds(5) });

        for (var i = 0; i < 100; i++)
            link.A.Send(new byte[1]);
        scheduler.AdvanceBy(Ms(100));

        Assert.All(atB, d => Assert.InRange(d.Time, Ms(10), Ms(15)));
        Assert.True(atB.Select(d => d.Time).Distinct().Count() > 10);
    }

    [Fact]
    public void Send_BandwidthCap_SerialisesDatagrams()
    {
        var (scheduler, link, atB, _) = Create(new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(10), BytesPerSecond = 100_000 });

        for (var i = 0; i < 3; i++)
            link.A.Send(new byte[1000]); // 10 ms each on the wire
        scheduler.AdvanceBy(Ms(100));

        Assert.Equal(new[] { Ms(20), Ms(30), Ms(40) }, atB.Select(d => d.Time));
    }

    [Fact]
    public void Send_QueueLimit_DropsWhatDoesNotFitBehindTheRate()
    {
        // 1,000-byte datagrams at 100 KB/s take 10 ms each; 3,000 bytes may wait, what is on the wire included.
        var (scheduler, link, atB, _) = Create(new SimulatedLinkOptions { Delay = TimeSpan.FromMilliseconds(10), BytesPerSecond = 100_000, QueueLimit = 3_000 });

        for (var i = 0; i < 5; i++)
            link.A.Send(new byte[1000]); // three fit, two are dropped
        scheduler.AdvanceBy(Ms(25)); // half of the third is still to go: room again
        link.A.Send(new byte[1000]);
        scheduler.AdvanceBy(Ms(100));

        Assert.Equal(new[] { Ms(20), Ms(30), Ms(40), Ms(50) }, atB.Select(d => d.Time));
        Assert.Equal(2, link.Statistics.DroppedByQueue);
        Assert.Equal(6, link.Statistics.Sent);
    }

    [Fact]
    public void Cut_ThenRestore_DropsOnlyWhileCut()
    {
        var (scheduler, link, atB, atA) = Create(new SimulatedLinkOptions());
        link.A.Send(new byte[] { 1 }); // in flight when cut: still arrives

        link.Cut();
        link.A.Send(new byte[] { 2 });
        link.B.Send(new byte[] { 3 });
        scheduler.AdvanceBy(Ms(50));
        link.Restore();
        link.A.Send(new byte[] { 4 });
        scheduler.AdvanceBy(Ms(50));

        Assert.Equal(new[] { (byte)1, (byte)4 }, atB.Select(d => d.Datagram[0]));
        Assert.Empty(atA);
        Assert.Equal(2, link.Statistics.DroppedWhileCut);
    }

    [Fact]
    public void Cut_OneDirection_OtherStillFlows()
    {
        var (scheduler, link, atB, atA) = Create(new SimulatedLinkOptions());

        link.A.Cut();
        link.A.Send(new byte[] { 1 });
        link.B.Send(new byte[] { 2 });
        scheduler.AdvanceBy(Ms(50));

        Assert.Empty(atB);
        Assert.Single(atA);
    }

    [Fact]
    public void Send_OverMaxDatagramSize_Dropped()
    {
        var (scheduler, link, atB, _) = Create(new SimulatedLinkOptions { MaxDatagramSize = 1200 });

        link.A.Send(new byte[1201]);
        link.A.Send(new byte[1200]);
        scheduler.AdvanceBy(Ms(50));

        Assert.Equal(1200, Assert.Single(atB).Datagram.Length);
        Assert.Equal(1, link.Statistics.DroppedOversize);
    }

    [Fact]
    public void Send_SameSeed_SameDeliveries()
    {
        static List<(long, int)> Run()
        {
            var (scheduler, link, atB, _) = Create(new SimulatedLinkOptions
            {
                Seed = 11, LossRate = 0.2, DuplicationRate = 0.05, ReorderRate = 0.1, Jitter = TimeSpan.FromMilliseconds(3),
            });
            for (var i = 0; i < 500; i++)
                link.A.Send(BitConverter.GetBytes(i));
            scheduler.AdvanceBy(Ms(200));
            return atB.Select(d => (d.Time, BitConverter.ToInt32(d.Datagram))).ToList();
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void Constructor_ArgumentChecking()
    {
        var scheduler = new TestScheduler();
        Assert.Equal("scheduler", Assert.Throws<ArgumentNullException>(() => new SimulatedLink(null!, new SimulatedLinkOptions())).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentNullException>(() => new SimulatedLink(scheduler, null!)).ParamName);
        Assert.Equal("LossRate", Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedLink(scheduler, new SimulatedLinkOptions { LossRate = 1.5 })).ParamName);
        Assert.Equal("DuplicationRate", Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedLink(scheduler, new SimulatedLinkOptions { DuplicationRate = double.NaN })).ParamName);
        Assert.Equal("BytesPerSecond", Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedLink(scheduler, new SimulatedLinkOptions { BytesPerSecond = 0 })).ParamName);
        Assert.Equal("QueueLimit", Assert.Throws<ArgumentOutOfRangeException>(() => new SimulatedLink(scheduler, new SimulatedLinkOptions { QueueLimit = 0 })).ParamName);
    }
}

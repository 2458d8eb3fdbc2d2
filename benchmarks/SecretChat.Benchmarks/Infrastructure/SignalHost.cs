using System.Net;
using Microsoft.Extensions.Logging;
using SecretChat.Signaling;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// The signaling server as <c>secretchat signal</c> runs it (the same <see cref="SignalingServer"/>, a console logger
/// configured as the command's, one line per room opened or paired), in a process of its own, started by the load
/// benchmarks as <c>SecretChat.Benchmarks --serve-signal</c>.
/// </summary>
/// <remarks>
/// The limits that exist against strangers are raised (<see cref="Options"/>): the benchmark's clients all come from
/// 127.0.0.1, where the defaults (10 packets/s and 8 rooms per source) would measure the limit, not the server. The
/// checks themselves still run on every packet. coturn has no per-source limit on Binding requests to raise.
/// </remarks>
internal static class SignalHost
{
    public const string Flag = "--serve-signal";

    public static SignalingServerOptions Options { get; } = new()
    {
        RatePerSecond = 1e9,
        RateBurst = 1e9,
        MaxRoomsPerSource = int.MaxValue,
        MaxRooms = 1_000_000,
        RelayBytesPerSecond = long.MaxValue / 4,
        RelayBurstBytes = long.MaxValue / 4,
        RelayTotalBytes = long.MaxValue / 4,
    };

    /// <summary>The child's side: serves until its standard input closes (the parent ended or killed it).</summary>
    public static async Task<int> ServeAsync()
    {
        using var loggers = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            })
            .SetMinimumLevel(LogLevel.Information));
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0), Options, loggers.CreateLogger("SecretChat.Signal"));
        Console.WriteLine($"serving on udp {server.LocalEndPoint}");
        await Console.In.ReadToEndAsync();
        return 0;
    }

    /// <summary>The parent's side: starts the child and waits until it answers a STUN Binding request.</summary>
    public static (ServerProcess Process, IPEndPoint EndPoint) Start()
    {
        var process = ServerProcess.Start("dotnet", [typeof(SignalHost).Assembly.Location, Flag]);
        try
        {
            var line = process.WaitForLine(l => l.StartsWith("serving on udp ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));
            var endPoint = IPEndPoint.Parse(line["serving on udp ".Length..]);
            process.WaitForUdpAnswer(endPoint, StunLoad.BindingRequest(), TimeSpan.FromSeconds(20));
            return (process, endPoint);
        }
        catch
        {
            process.Dispose();
            throw;
        }
    }
}

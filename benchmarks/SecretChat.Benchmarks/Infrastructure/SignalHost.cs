using System.Net;
using Microsoft.Extensions.Logging;
using SecretChat.Signaling;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// The signaling server as <c>secretchat signal</c> runs it (the same <see cref="SignalingServer"/>, a console logger
/// configured as the command's, one line per room opened or paired), in a process of its own, started by the load
/// benchmarks as <c>SecretChat.Benchmarks --serve-signal [--redis HOST:PORT]</c>. With <c>--redis</c> the node keeps its
/// rooms in that Redis, shared with every other node started with it; its node address is its own listen address.
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

    public const string RedisFlag = "--redis";

    /// <summary>The child's side: serves until its standard input closes (the parent ended or killed it).</summary>
    /// <param name="redis">The Redis (<c>HOST:PORT</c>) to share rooms through, or null for rooms in this process.</param>
    public static async Task<int> ServeAsync(string? redis = null)
    {
        using var loggers = LoggerFactory.Create(logging => logging
            .AddSimpleConsole(console =>
            {
                console.SingleLine = true;
                console.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            })
            .SetMinimumLevel(LogLevel.Information));
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0), Options with { Redis = redis }, loggers.CreateLogger("SecretChat.Signal"));
        Console.WriteLine($"serving on udp {server.LocalEndPoint}");
        await Console.In.ReadToEndAsync();
        return 0;
    }

    /// <summary>The parent's side: starts the child and waits until it answers a STUN Binding request.</summary>
    /// <param name="redis">The Redis (<c>HOST:PORT</c>) the node shares its rooms through, or null for rooms of its own.</param>
    public static (ServerProcess Process, IPEndPoint EndPoint) Start(string? redis = null)
    {
        var process = ServerProcess.Start("dotnet", redis is null ? [typeof(SignalHost).Assembly.Location, Flag] : [typeof(SignalHost).Assembly.Location, Flag, RedisFlag, redis]);
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

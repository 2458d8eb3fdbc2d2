using SecretChat.Security;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>Every latency row by name: the benchmark classes and the plain loop build their rigs here.</summary>
public static class LatencyRigs
{
    /// <summary>Delivery to the peer's channel: TCP rows against TLS, UDP rows against LiteNetLib.</summary>
    public static readonly string[] Delivered = ["Tls13", "Noise", "Rsa", "Pseudo", "LiteNetLib", "SecretChatUdp"];

    /// <summary>The acknowledgement's return (UDP reliable sessions).</summary>
    public static readonly string[] Acknowledged = ["LiteNetLib acked", "SecretChatUdp acked"];

    /// <summary>Each row's baseline: TLS for TCP, LiteNetLib for UDP.</summary>
    public static string BaselineOf(string row) => row switch
    {
        "Tls13" or "Noise" or "Rsa" or "Pseudo" => "Tls13",
        "LiteNetLib" or "SecretChatUdp" => "LiteNetLib",
        _ => "LiteNetLib acked",
    };

    public static Task<LatencyRig> CreateAsync(string row) => row switch
    {
        "Tls13" => TlsLatencyRig.CreateAsync(),
        "Noise" => SecretChatTcpLatencyRig.CreateAsync(row, BuiltInModules.Noise),
        "Rsa" => SecretChatTcpLatencyRig.CreateAsync(row, BuiltInModules.Rsa),
        "Pseudo" => SecretChatTcpLatencyRig.CreateAsync(row, BuiltInModules.Pseudo),
        "LiteNetLib" => LiteNetLibLatencyRig.CreateAsync(acknowledged: false),
        "LiteNetLib acked" => LiteNetLibLatencyRig.CreateAsync(acknowledged: true),
        "SecretChatUdp" => SecretChatUdpLatencyRig.CreateAsync(acknowledged: false),
        "SecretChatUdp acked" => SecretChatUdpLatencyRig.CreateAsync(acknowledged: true),
        _ => throw new ArgumentOutOfRangeException(nameof(row), row, null),
    };
}

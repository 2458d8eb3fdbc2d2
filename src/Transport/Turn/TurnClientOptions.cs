using SecretChat.Transport.Stun;

namespace SecretChat.Transport.Turn;

/// <summary>Timing of a <see cref="TurnClient"/>: retransmission of its requests and when it refreshes what it holds.</summary>
public sealed record TurnClientOptions
{
    /// <summary>Retransmission of each request (RFC 8489 §6.2.1) and the SOFTWARE sent; the RFC defaults when not set.</summary>
    public StunClientOptions Retransmission { get; init; } = new();

    /// <summary>
    /// How long before the allocation's LIFETIME runs out a Refresh goes out (one minute, as RFC 8656 §8 suggests);
    /// half the lifetime when that is shorter.
    /// </summary>
    public TimeSpan AllocationRefreshMargin { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>How often a permission is refreshed: permissions live 300 s (RFC 8656 §9), so 240 s by default.</summary>
    public TimeSpan PermissionRefreshInterval { get; init; } = TimeSpan.FromSeconds(240);

    /// <summary>How often a channel binding is refreshed: bindings live 600 s (RFC 8656 §12), so 480 s by default.</summary>
    public TimeSpan ChannelRefreshInterval { get; init; } = TimeSpan.FromSeconds(480);

    /// <summary>How long <see cref="TurnClient.DisposeAsync"/> waits for the server to confirm the deallocation.</summary>
    public TimeSpan DeallocateTimeout { get; init; } = TimeSpan.FromSeconds(3);

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Retransmission, nameof(Retransmission));
        Retransmission.Validate();
        if (AllocationRefreshMargin <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(AllocationRefreshMargin), AllocationRefreshMargin, "The refresh margin must be positive.");
        if (PermissionRefreshInterval <= TimeSpan.Zero || PermissionRefreshInterval >= TimeSpan.FromSeconds(300))
            throw new ArgumentOutOfRangeException(nameof(PermissionRefreshInterval), PermissionRefreshInterval, "Permissions live 300 s: refresh them sooner.");
        if (ChannelRefreshInterval <= TimeSpan.Zero || ChannelRefreshInterval >= TimeSpan.FromSeconds(600))
            throw new ArgumentOutOfRangeException(nameof(ChannelRefreshInterval), ChannelRefreshInterval, "Channel bindings live 600 s: refresh them sooner.");
        if (DeallocateTimeout <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(DeallocateTimeout), DeallocateTimeout, "The deallocation wait must be positive.");
    }
}

namespace SecretChat.Transport.Simulation;

/// <summary>What a <see cref="SimulatedLink"/> did to the datagrams sent over it (both directions).</summary>
public sealed record SimulatedLinkStatistics
{
    /// <summary>Datagrams handed to <see cref="SimulatedEndpoint.Send"/>.</summary>
    public long Sent { get; init; }
    /// <summary>Datagrams delivered to the other end, duplicates included.</summary>
    public long Delivered { get; init; }
    /// <summary>Lost to <see cref="SimulatedLinkOptions.LossRate"/>.</summary>
    public long Lost { get; init; }
    /// <summary>Dropped because the direction was cut.</summary>
    public long DroppedWhileCut { get; init; }
    /// <summary>Dropped for exceeding <see cref="SimulatedLinkOptions.MaxDatagramSize"/>.</summary>
    public long DroppedOversize { get; init; }
    /// <summary>Dropped because the sender's queue held <see cref="SimulatedLinkOptions.QueueLimit"/> bytes already.</summary>
    public long DroppedByQueue { get; init; }
    /// <summary>Datagrams sent twice, to <see cref="SimulatedLinkOptions.DuplicationRate"/>.</summary>
    public long Duplicated { get; init; }
    /// <summary>Held back by an extra reordering delay.</summary>
    public long Reordered { get; init; }
}

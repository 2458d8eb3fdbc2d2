namespace SecretChat.NatLab.Tests.Harness;

/// <summary>This machine cannot run the lab (not root, no <c>ip netns</c>, no iptables, ...).</summary>
public sealed class LabUnavailableException(string reason)
    : Exception($"The NAT lab cannot run here: {reason}.")
{
    public string Reason { get; } = reason;
}

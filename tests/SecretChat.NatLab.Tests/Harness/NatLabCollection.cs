namespace SecretChat.NatLab.Tests.Harness;

/// <summary>
/// Lab tests run one at a time: labs are isolated from each other, but each runs several .NET processes,
/// and the time to connect is only meaningful when they do not compete for the CPU.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NatLabCollection
{
    public const string Name = "NAT lab";
}

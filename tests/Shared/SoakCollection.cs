namespace SecretChat.Tests;

/// <summary>
/// Tests that keep the CPU busy for long (the 10,000-message soaks): xunit runs a collection that disables
/// parallelization after the rest of its assembly, with nothing beside it, so real-time tests never share the CPU with it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SoakCollection
{
    public const string Name = "Soak";
}

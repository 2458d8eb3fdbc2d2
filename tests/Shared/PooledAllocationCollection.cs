namespace SecretChat.Tests;

/// <summary>
/// Tests that count what one thread allocates while it uses a process-wide buffer pool (the reliability session's):
/// beside other tests that hold that pool's buffers, a rent finds its bucket empty and allocates, and the count says so.
/// xunit runs a collection that disables parallelization after the rest of its assembly, with nothing beside it.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PooledAllocationCollection
{
    public const string Name = "Pooled allocation";
}

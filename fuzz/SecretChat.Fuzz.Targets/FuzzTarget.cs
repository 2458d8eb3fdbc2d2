namespace SecretChat.Fuzz;

/// <summary>
/// One fuzz target: a parser that reads the network, driven the way the network drives it, with its invariants
/// asserted inside <see cref="Run"/>. An input either passes or throws <see cref="FuzzInvariantException"/> (or any
/// exception the parser was not documented to throw), which the engine reports as a crash.
/// </summary>
public sealed record FuzzTarget(string Name, string Parser, Action<byte[]> Run);

/// <summary>An invariant of a fuzz target does not hold for this input: a finding.</summary>
public sealed class FuzzInvariantException(string message, Exception? inner = null) : Exception(message, inner);

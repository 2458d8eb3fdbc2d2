using System.Runtime.CompilerServices;

// The wire codec and the RTT estimator are tested directly.
[assembly: InternalsVisibleTo("SecretChat.Transport.Tests")]
// The fuzz target of the reliability codec (fuzz/SecretChat.Fuzz.Targets).
[assembly: InternalsVisibleTo("SecretChat.Fuzz.Targets")]

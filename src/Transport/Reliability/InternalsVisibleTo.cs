using System.Runtime.CompilerServices;

// The wire codec and the RTT estimator are tested directly.
[assembly: InternalsVisibleTo("SecretChat.Transport.Tests")]

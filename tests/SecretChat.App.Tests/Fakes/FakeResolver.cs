using System.Net;
using System.Net.Sockets;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Fakes;

/// <summary>A resolver the test controls: a fixed answer for every name, or "no such host"; no query leaves the process.</summary>
internal sealed class FakeResolver : IHostResolver
{
    private readonly IPAddress[]? _answer;

    private FakeResolver(IPAddress[]? answer) => _answer = answer;

    /// <summary>Every name means <paramref name="answer"/> (possibly no address at all).</summary>
    public static FakeResolver Answering(params IPAddress[] answer) => new(answer);

    /// <summary>Every name is unknown, as the system's resolver reports it.</summary>
    public static FakeResolver Unknown() => new(null);

    public List<string> Asked { get; } = [];

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken = default)
    {
        Asked.Add(host);
        return _answer is null
            ? Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound))
            : Task.FromResult(_answer);
    }
}

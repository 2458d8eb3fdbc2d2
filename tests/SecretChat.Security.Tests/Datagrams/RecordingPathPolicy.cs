using System.Net;
using SecretChat.Security.Datagrams;

namespace SecretChat.Security.Tests.Datagrams;

/// <summary>A path policy that allows what <see cref="Allow"/> says and records everything the channel tells it.</summary>
internal sealed class RecordingPathPolicy : IPathPolicy
{
    public Func<IPEndPoint, IPEndPoint, bool> Allow { get; init; } = (_, _) => true;

    public PathMoveReason ReasonToGive { get; init; } = PathMoveReason.Upgraded;

    public List<(IPEndPoint From, DateTimeOffset At, bool OnCurrentPath)> Heard { get; } = [];

    public List<DateTimeOffset> Sent { get; } = [];

    public List<PathMove> Moves { get; } = [];

    public bool AllowMove(IPEndPoint current, IPEndPoint candidate, out PathMoveReason reason)
    {
        reason = ReasonToGive;
        return Allow(current, candidate);
    }

    void IPathPolicy.Heard(IPEndPoint from, DateTimeOffset at, bool onCurrentPath) => Heard.Add((from, at, onCurrentPath));

    void IPathPolicy.Sent(DateTimeOffset at) => Sent.Add(at);

    void IPathPolicy.Moved(PathMove move) => Moves.Add(move);
}

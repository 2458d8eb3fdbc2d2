using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using SecretChat.Tests;

namespace SecretChat.Signaling.Tests;

/// <summary>
/// coturn's STUN client (<c>turnutils_stunclient</c>) against our signaling server. Its requests are smaller than the
/// answer, so it needs the server's opt-in to answers larger than requests (off by default: no amplification).
/// </summary>
public partial class CoturnStunClientTests
{
    [CoturnFact]
    public async Task TurnutilsStunclient_AgainstOurServer_ReportsTheAddressTheServerSaw()
    {
        var tool = Coturn.Require("turnutils_stunclient");
        var log = new RecordingLogger();
        await using var server = SignalingServer.Start(new IPEndPoint(IPAddress.Loopback, 0), new SignalingServerOptions { StunAnswersMayExceedRequests = true }, logger: log);

        var (exitCode, output) = await Coturn.RunAsync(tool, ["-p", server.LocalEndPoint.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "127.0.0.1"], TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 0, $"turnutils_stunclient exited {exitCode}:\n{output}");
        var reported = ReflexiveLine().Matches(output).Select(m => IPEndPoint.Parse(m.Groups[1].Value)).ToList();
        Assert.NotEmpty(reported);
        Assert.All(reported, address => Assert.Contains(address, log.StunSources));
        Assert.All(reported, address => Assert.Equal(IPAddress.Loopback, address.Address));
        Assert.True(server.Statistics.StunRequestsAnswered >= 1);
        Assert.Equal(0, server.Statistics.MalformedDropped);
    }

    [GeneratedRegex(@"UDP reflexive addr: (\S+)")]
    private static partial Regex ReflexiveLine();

    /// <summary>Collects the sources of answered STUN requests from the server's debug log.</summary>
    private sealed class RecordingLogger : ILogger
    {
        private readonly List<IPEndPoint> _sources = [];

        public IReadOnlyList<IPEndPoint> StunSources
        {
            get { lock (_sources) return [.. _sources]; }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (state is IReadOnlyList<KeyValuePair<string, object?>> values
                && values.FirstOrDefault(v => v.Key == "{OriginalFormat}").Value is string format
                && format.StartsWith("Answered STUN", StringComparison.Ordinal)
                && values.FirstOrDefault(v => v.Key == "Source").Value is IPEndPoint source)
            {
                lock (_sources) _sources.Add(source);
            }
        }
    }
}

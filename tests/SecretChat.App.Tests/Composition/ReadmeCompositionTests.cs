using System.Net;
using System.Reactive.Linq;
using System.Text.RegularExpressions;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security.Rsa;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Composition;

/// <summary>The README's "Composing your own pipeline" example, both sides, run as written over loopback.</summary>
public partial class ReadmeCompositionTests
{
    private static readonly string ReadmePath = Path.Combine(TestPaths.RepositoryRoot, "README.md");
    private static readonly string SourcePath = Path.Combine(TestPaths.RepositoryRoot, "tests", "SecretChat.App.Tests", "Composition", "ReadmeCompositionTests.cs");

    [Fact]
    public async Task ReadmeExample_BothSides_ExchangeHellosAndFinish()
    {
        var printed = new List<string>();

        // --- begin README example (Console.WriteLine captured as printed.Add) ---
        // Bob: accepts one connection and answers the first message.
        await using var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var bobSide = Task.Run(async () =>
        {
            await using var bob = await ChatBuilder
                .Over(await listener.AcceptAsync())   // any IFrameListener hands out IFrameConnections
                .SecuredBy(new RsaSecurity())
                .AsResponder()
                .Named("bob")
                .ConnectAsync();
            var first = await bob.Events.OfType<MessageReceived>().FirstAsync();
            await bob.SendAsync($"{first.From} said: {first.Text}");
            await bob.FinishAsync();
        });

        // Alice: connects, says hello, prints the answer.
        var connection = await TcpTransport.ConnectAsync("127.0.0.1", listener.LocalEndPoint.Port);
        await using var alice = await ChatBuilder
            .Over(connection)                 // any IFrameConnection: TCP, InMemoryFrameTransport, yours
            .SecuredBy(new RsaSecurity())     // any ISecurityModule: NoiseSecurity, RsaSecurity, PseudoSecurity, yours
            .AsInitiator()
            .Named("alice")
            .ConnectAsync();                  // returns once the peer is connected

        alice.Events.OfType<MessageReceived>().Subscribe(m => printed.Add($"{m.From}: {m.Text}"));
        await alice.SendAsync("hello from my own pipeline");
        await alice.FinishAsync();            // waits for the peer to finish and for every ack
        await bobSide;
        // --- end README example ---

        Assert.Equal(["bob: alice said: hello from my own pipeline"], printed);
    }

    [Fact]
    public void ReadmeExample_ComparedWithThisTest_IsTheCodeThisTestRuns()
    {
        var block = ReadmeExample();
        var source = File.ReadAllText(SourcePath);

        // The usings head this file; the rest runs between the begin and end markers, where the only changes are
        // the port (the test's listener takes a free one) and Console.WriteLine captured as printed.Add.
        var lines = block.Split('\n');
        foreach (var usingLine in lines.Where(l => l.StartsWith("using ", StringComparison.Ordinal)))
            Assert.Contains(usingLine.Trim() + "\n", source.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        var code = string.Join('\n', lines.Where(l => !l.StartsWith("using ", StringComparison.Ordinal)))
            .Replace("new IPEndPoint(IPAddress.Loopback, 5000)", "new IPEndPoint(IPAddress.Loopback, 0)", StringComparison.Ordinal)
            .Replace("TcpTransport.ConnectAsync(\"127.0.0.1\", 5000)", "TcpTransport.ConnectAsync(\"127.0.0.1\", listener.LocalEndPoint.Port)", StringComparison.Ordinal)
            .Replace("Console.WriteLine(", "printed.Add(", StringComparison.Ordinal);
        var begin = source.IndexOf("// --- begin README example", StringComparison.Ordinal);
        var end = source.IndexOf("// --- end README example ---", StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "the begin and end markers are missing");
        var example = source[source.IndexOf('\n', begin)..end];

        Assert.Equal(Normalised(code), Normalised(example));
    }

    /// <summary>The first C# block under the README's "Composing your own pipeline" heading.</summary>
    private static string ReadmeExample()
    {
        var readme = File.ReadAllText(ReadmePath).Replace("\r\n", "\n", StringComparison.Ordinal);
        var section = readme.IndexOf("\n## Composing your own pipeline", StringComparison.Ordinal);
        Assert.True(section >= 0, "README.md has no \"Composing your own pipeline\" section");
        var start = readme.IndexOf("```csharp\n", section, StringComparison.Ordinal);
        Assert.True(start >= 0, "the section has no csharp block");
        start += "```csharp\n".Length;
        return readme[start..readme.IndexOf("\n```", start, StringComparison.Ordinal)];
    }

    private static string Normalised(string code) => Whitespace().Replace(code, " ").Trim();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}

using System.Net;
using System.Reactive.Linq;
using System.Text.RegularExpressions;
using System.Reactive.Threading.Tasks;
using SecretChat.Chat;
using SecretChat.Chat.Composition;
using SecretChat.Security.Rsa;
using SecretChat.Transport;

namespace SecretChat.App.Tests.Composition;

/// <summary>The README's "Composing your own pipeline" example, run as written against a real peer.</summary>
public partial class ReadmeCompositionTests
{
    private static readonly string ReadmePath = Path.Combine(TestPaths.RepositoryRoot, "README.md");
    private static readonly string SourcePath = Path.Combine(TestPaths.RepositoryRoot, "tests", "SecretChat.App.Tests", "Composition", "ReadmeCompositionTests.cs");

    [Fact]
    public async Task ReadmeExample_AgainstARealPeer_SendsPrintsTheReplyAndFinishes()
    {
        await using var listener = TcpFrameListener.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var port = listener.LocalEndPoint.Port;
        var bobSide = Task.Run(async () =>
        {
            await using var bob = ChatBuilder.Over(await listener.AcceptAsync()).SecuredBy(new RsaSecurity()).AsResponder().Named("bob").Start();
            var received = await bob.Events.OfType<MessageReceived>().FirstAsync().ToTask();
            await bob.SendAsync("hello alice");
            await bob.FinishAsync();
            return received.Text;
        });
        var printed = new List<string>();

        // --- begin README example (Console.WriteLine captured as printed.Add) ---
        var connection = await TcpTransport.ConnectAsync("127.0.0.1", port);
        await using var chat = await ChatBuilder
            .Over(connection)                 // any IFrameConnection: TCP, InMemoryFrameTransport, yours
            .SecuredBy(new RsaSecurity())     // any ISecurityModule: NoiseSecurity, RsaSecurity, PseudoSecurity, yours
            .AsInitiator()
            .Named("alice")
            .ConnectAsync();                  // returns once the peer is connected

        chat.Events.OfType<MessageReceived>().Subscribe(m => printed.Add($"{m.From}: {m.Text}"));
        await chat.SendAsync("hello from my own pipeline");
        await chat.FinishAsync();             // waits for the peer to finish and for every ack
        // --- end README example ---

        Assert.Equal("hello from my own pipeline", await bobSide.WaitAsync(Timeouts.Process));
        Assert.Equal(["bob: hello alice"], printed);
    }

    [Fact]
    public void ReadmeExample_ComparedWithThisTest_IsTheCodeThisTestRuns()
    {
        var block = ReadmeExample();
        var source = File.ReadAllText(SourcePath);

        // The usings head this file; the rest runs between the begin and end markers, where the only changes are
        // the port the test's listener got and Console.WriteLine captured as printed.Add.
        var lines = block.Split('\n');
        foreach (var usingLine in lines.Where(l => l.StartsWith("using ", StringComparison.Ordinal)))
            Assert.Contains(usingLine.Trim() + "\n", source.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        var code = string.Join('\n', lines.Where(l => !l.StartsWith("using ", StringComparison.Ordinal)))
            .Replace("TcpTransport.ConnectAsync(\"127.0.0.1\", 5000)", "TcpTransport.ConnectAsync(\"127.0.0.1\", port)", StringComparison.Ordinal)
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

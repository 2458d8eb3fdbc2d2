using System.Globalization;
using SecretChat.NatLab.Tests.Harness;
using Xunit.Abstractions;

namespace SecretChat.NatLab.Tests.Scenarios;

/// <summary>
/// Issue 15 in the lab: alice runs <c>secretchat p2p</c> and gets a code, bob enters it; measured from bob's start (the
/// moment he entered the code) to his verified connection, beside the same pair meeting in a named room.
/// </summary>
[Collection(NatLabCollection.Name)]
[Trait("Category", "p2p")]
public sealed class CodePairingScenarioTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _home = new("sclab-code-");

    [LabFact]
    public async Task P2p_ConeToConeByCode_PairsDirectlyVerifiedByCode()
    {
        await using var lab = await Lab.CreateAsync(LabLayout.ConeToCone, output);
        var directOnly = _home.WriteFile("direct-only.json", """{ "P2p": { "RelayFallbackSeconds": 0 } }""");
        var run = new PeerToPeerRun(lab, _home);
        await run.StartSignalAsync();

        // A named room first (today's connect time), then the code, with fresh keys for each.
        var byRoom = await TimeAsync(lab, run, "room", directOnly, code: null);
        var byCode = await TimeAsync(lab, run, "code", directOnly, code: "");
        output.WriteLine($"cone/cone: entering the code to a verified connection {byCode.TotalMilliseconds:F0} ms; the same pair in a named room {byRoom.TotalMilliseconds:F0} ms");
    }

    private async Task<TimeSpan> TimeAsync(Lab lab, PeerToPeerRun run, string tag, string config, string? code)
    {
        string[] Args(string who, params string[] how) =>
        [
            "p2p", .. how, "--signal", lab.SignalEndPoint.ToString(), "--json", "--name", who, "--config", config,
            "--identity", _home.File($"{tag}-{who}.key"), "--known-peers", _home.File($"{tag}-{who}-known.json"),
        ];
        var room = $"room-{tag}-{lab.Id}";
        await using var alice = lab.StartSecretChat("alice", lab.Alice, code is null ? Args("alice", "--room", room) : Args("alice"));
        string[] bobHow = ["--room", room];
        if (code is not null)
            bobHow = [(await alice.WaitForEventAsync("code")).GetProperty("code").GetString()!];
        else
            await alice.WaitForEventAsync("status");
        await using var bob = lab.StartSecretChat("bob", lab.Bob, Args("bob", bobHow));
        var atBob = await Conversation.ConnectedAsync(bob, output);
        var elapsed = bob.Elapsed;
        var atAlice = await Conversation.ConnectedAsync(alice, output);
        Assert.Equal(("alice", "direct"), (atBob.Peer, atBob.Path));
        Assert.Equal(("bob", "direct"), (atAlice.Peer, atAlice.Path));
        if (code is not null)
        {
            Assert.Equal("code", bob.Events.Single(e => SecretChatProcess.Kind(e) == "connected").GetProperty("verified").GetString());
            Assert.Equal("code", alice.Events.Single(e => SecretChatProcess.Kind(e) == "connected").GetProperty("verified").GetString());
        }
        output.WriteLine($"{tag}: bob connected {elapsed.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture)} ms after he started");
        alice.CloseInput();
        bob.CloseInput();
        await Conversation.FinishAsync(output, alice, bob);
        return elapsed;
    }

    public void Dispose() => _home.Dispose();
}

using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;
using SecretChat.Chat;
using SecretChat.Security.Identity;
using Xunit.Abstractions;

namespace SecretChat.Web.Tests;

/// <summary>
/// The page in a real headless chromium, chatting with a peer that uses the chat library as the console does.
/// Each state is saved as a screenshot under the test output's <c>screenshots</c> folder (named in the test log).
/// </summary>
public sealed class BrowserTests(ITestOutputHelper output) : IAsyncLifetime
{
    private WebHarness _web = null!;
    private ChromeDriver? _browser;

    private ChromeDriver Browser => _browser ??= Chromium.Start();

    public async Task InitializeAsync() => _web = await WebHarness.StartAsync();

    public async Task DisposeAsync()
    {
        _browser?.Quit();
        _browser?.Dispose();
        await _web.DisposeAsync();
    }

    private static readonly string Screenshots = Path.Combine(AppContext.BaseDirectory, "screenshots");

    private void Screenshot(string name)
    {
        Directory.CreateDirectory(Screenshots);
        var path = Path.Combine(Screenshots, name + ".png");
        Browser.GetScreenshot().SaveAsFile(path);
        output.WriteLine($"screenshot: {path}");
    }

    /// <summary>Polls the page (WebDriver has no push) until <paramref name="condition"/> holds, or fails after the timeout.</summary>
    private T Until<T>(Func<IWebDriver, T?> condition, string what)
    {
        // A real browser beside a loaded machine's other test assemblies: the startup bound, not the per-step one.
        var wait = new WebDriverWait(Browser, Timeouts.Startup) { Message = what };
        wait.IgnoreExceptionTypes(typeof(NoSuchElementException), typeof(StaleElementReferenceException));
        try
        {
            return wait.Until(condition)!;
        }
        catch (WebDriverTimeoutException)
        {
            Screenshot("failed-" + string.Concat(what.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-')));
            output.WriteLine(Browser.FindElement(By.TagName("body")).Text);
            throw;
        }
    }

    private IWebElement Pane => Browser.FindElement(By.CssSelector("article.pane:not(.hidden)"));

    private void OpenPage()
    {
        Browser.Navigate().GoToUrl(_web.Server.Url);
        Until(d => d.FindElement(By.Id("link")).Text == "connected to the app", "the page's WebSocket opens");
        Assert.Equal(_web.Server.BaseAddress.ToString(), Browser.Url); // the token left the address bar
    }

    private void StartConversation(string mode, string address, string encryption)
    {
        Browser.FindElement(By.CssSelector($"#mode option[value='{mode}']")).Click();
        var field = Browser.FindElement(By.Id("address"));
        field.Clear();
        field.SendKeys(address);
        Until(d => d.FindElements(By.CssSelector($"#encryption option[value='{encryption}']")).Count == 1, "the modes listed");
        Browser.FindElement(By.CssSelector($"#encryption option[value='{encryption}']")).Click();
        Browser.FindElement(By.Id("start")).Click();
    }

    private string PeerShown(string expected) =>
        Until(_ => Pane.FindElement(By.CssSelector(".peer")).Text is var text && text == expected ? text : null, $"the peer '{expected}' is shown");

    [ChromiumFact]
    public async Task Browser_ChatWithLibraryPeer_MessagesDeliveryMarksSafetyNumberAndVerify()
    {
        await using var bob = await LibraryPeer.ListenAsync(_web.Home, "bob", "bob", "noise");
        var accepted = bob.AcceptAsync();
        OpenPage();
        Screenshot("01-start");

        StartConversation("connect", bob.Address, "noise");
        var chat = await accepted;
        var connected = await chat.FirstAsync<Connected>();
        PeerShown("bob");

        // The safety number: the same digits the console shows (the library's Connected event), as a 3 x 4 grid.
        var groups = Until(_ => Pane.FindElements(By.CssSelector(".safety .grid .group")) is { Count: 12 } found ? found : null, "twelve groups");
        Assert.Equal(connected.Fingerprint, string.Join(' ', groups.Select(g => g.Text)));
        Assert.Equal(3, groups.Select(g => g.Location.Y).Distinct().Count());
        Assert.Equal(4, groups.Select(g => g.Location.X).Distinct().Count());
        Assert.Equal("new contact", Pane.FindElement(By.CssSelector(".status")).Text);
        Screenshot("02-connected-safety-number");

        // Enter sends; Shift+Enter is a new line inside the message.
        var box = Pane.FindElement(By.CssSelector(".compose textarea"));
        box.SendKeys("hello bob");
        box.SendKeys(Keys.Shift + Keys.Enter + Keys.Shift);
        box.SendKeys("second line" + Keys.Enter);
        var received = await chat.FirstAsync<MessageReceived>();
        Assert.Equal("hello bob\nsecond line", received.Text);
        Assert.Equal("alice", received.From);
        Until(_ => Pane.FindElement(By.CssSelector(".messages li.mine .mark")).Text == "✓ delivered", "the delivery mark");

        await chat.SendAsync("hi alice, bob here");
        var theirs = Until(_ => Pane.FindElement(By.CssSelector(".messages li.theirs")), "bob's message");
        Assert.Equal("bob", theirs.FindElement(By.CssSelector(".from")).Text);
        Assert.Equal("hi alice, bob here", theirs.FindElement(By.CssSelector(".text")).Text);
        Assert.Matches(@"\d{1,2}:\d{2}", theirs.FindElement(By.CssSelector(".time")).Text);
        Screenshot("03-messages-delivered");

        // Verify pins bob as verified in alice's known-peers file, the same file the console's /verify writes.
        Assert.False(KnownPeers.Load(_web.AlicePins).Check("bob", bob.PublicKey()).IsVerified);
        Pane.FindElement(By.CssSelector(".verify")).Click();
        Until(_ => Pane.FindElement(By.CssSelector(".status")).Text == "verified", "the verified badge");
        var pin = KnownPeers.Load(_web.AlicePins).Check("bob", bob.PublicKey());
        Assert.Equal(PeerVerdict.Match, pin.Verdict);
        Assert.True(pin.IsVerified);
        Screenshot("04-verified");

        // A disconnect shows its banner and stops the compose box.
        await chat.CloseAsync("bob left");
        Until(_ => Pane.FindElements(By.CssSelector(".banner.disconnected")).Count == 1, "the disconnect banner");
        Assert.False(Pane.FindElement(By.CssSelector(".compose textarea")).Enabled);
        Screenshot("05-disconnected");
    }

    [ChromiumFact]
    public async Task Browser_ChatWithTheConsole_SameSafetyNumberMessagesBothWaysAndDeliveryMarks()
    {
        // The other side is the console program itself: `secretchat listen`, scripted, with its own identity and pins.
        Directory.CreateDirectory(_web.Home.File("bob"));
        await using var bob = SecretChatProcess.Start(
            ["listen", "--tcp", "127.0.0.1:0", "--name", "bob", "--json",
                "--identity", _web.Home.File("bob", "identity.key"), "--known-peers", _web.Home.File("bob", "known_peers.json")],
            null, "bob");
        var address = (await bob.WaitForEventAsync("listening", Timeouts.Startup)).GetProperty("address").GetString()!;
        OpenPage();

        StartConversation("connect", address, "noise");
        var connected = await bob.WaitForEventAsync("connected", Timeouts.Startup);
        PeerShown("bob");
        var groups = Until(_ => Pane.FindElements(By.CssSelector(".safety .grid .group")) is { Count: 12 } found ? found : null, "twelve groups");
        Assert.Equal(connected.GetProperty("fingerprint").GetString(), string.Join(' ', groups.Select(g => g.Text)));
        Screenshot("10-console-peer-connected");

        var box = Pane.FindElement(By.CssSelector(".compose textarea"));
        box.SendKeys("hello from the browser" + Keys.Enter);
        var received = await bob.WaitForEventAsync("message", Timeouts.Startup);
        Assert.Equal("hello from the browser", received.GetProperty("text").GetString());
        Until(_ => Pane.FindElement(By.CssSelector(".messages li.mine .mark")).Text == "✓ delivered", "the delivery mark");

        await bob.WriteLinesAsync("hello from the console");
        var theirs = Until(_ => Pane.FindElement(By.CssSelector(".messages li.theirs")), "the console's message");
        Assert.Equal("hello from the console", theirs.FindElement(By.CssSelector(".text")).Text);
        Screenshot("11-console-peer-messages");
    }

    [ChromiumFact]
    public async Task Browser_PinnedPeerPresentsAnotherKey_ShowsKeyChangeBannerAndTrustReconnects()
    {
        await using var bob = await LibraryPeer.ListenAsync(_web.Home, "bob", "bob", "noise");
        // alice pinned some other key for "bob" earlier: this bob is someone else, or bob lost his identity.
        var other = new byte[32];
        System.Security.Cryptography.RandomNumberGenerator.Fill(other);
        KnownPeers.Load(_web.AlicePins).Pin("bob", other);
        // One accept serves both attempts: the refused first one (alice refuses after the handshake) never becomes a
        // session here, since alice's Close arrives instead of her Hello; the one after /trust does.
        var accepted = bob.AcceptAsync();
        OpenPage();

        StartConversation("connect", bob.Address, "noise");
        var banner = Until(_ => Pane.FindElement(By.CssSelector(".banner.key-changed")), "the key-change banner");
        Assert.Contains("bob", banner.Text, StringComparison.Ordinal);
        Assert.Empty(Pane.FindElements(By.CssSelector(".messages li")));
        Assert.False(Pane.FindElement(By.CssSelector(".compose textarea")).Enabled);
        Screenshot("06-key-changed");

        banner.FindElement(By.CssSelector("button.trust")).Click();
        await accepted;
        PeerShown("bob");
        Assert.Equal("known, not verified", Until(_ => Pane.FindElement(By.CssSelector(".status")).Text is { Length: > 0 } s ? s : null, "the status badge"));
        var pin = KnownPeers.Load(_web.AlicePins).Check("bob", bob.PublicKey());
        Assert.Equal(PeerVerdict.Match, pin.Verdict);
        Assert.False(pin.IsVerified);
        Screenshot("07-trusted-new-key");
    }

    [ChromiumFact]
    public async Task Browser_HostileNameAndMessage_ShowLiterallyAndRunNothing()
    {
        const string name = "<img src=x onerror=alert(1)>";
        const string message = "<script>alert(2)</script><img src=x onerror=\"document.title='owned'\"><b>bold?</b>";
        await using var mallory = await LibraryPeer.ListenAsync(_web.Home, "mallory", name, "rsa");
        var accepted = mallory.AcceptAsync();
        OpenPage();
        StartConversation("connect", mallory.Address, "rsa");
        var chat = await accepted;
        PeerShown(name);
        await chat.SendAsync(message);
        var shown = Until(_ => Pane.FindElement(By.CssSelector(".messages li.theirs")), "the hostile message");
        Assert.Equal(message, shown.FindElement(By.CssSelector(".text")).Text);
        Assert.Equal(name, shown.FindElement(By.CssSelector(".from")).Text);

        // Nothing ran: no element was made from the strings, no dialog opened, the title is untouched.
        Assert.Empty(Browser.FindElements(By.CssSelector("article.pane img, article.pane script, article.pane b")));
        Assert.Equal("SecretChat", Browser.Title);
        Assert.Throws<NoAlertPresentException>(() => Browser.SwitchTo().Alert());

        // rsa authenticates nobody: the weak-mode banner says so.
        Assert.Contains("Weak mode", Pane.FindElement(By.CssSelector(".banner.warn")).Text, StringComparison.Ordinal);
        Screenshot("08-hostile-strings-literal-weak-mode");
    }

    [ChromiumFact]
    public async Task Browser_TwoConversations_StayApart()
    {
        await using var bob = await LibraryPeer.ListenAsync(_web.Home, "bob", "bob", "noise");
        await using var carol = await LibraryPeer.ListenAsync(_web.Home, "carol", "carol", "pseudo");
        var bobAccepted = bob.AcceptAsync();
        var carolAccepted = carol.AcceptAsync();
        OpenPage();
        StartConversation("connect", bob.Address, "noise");
        var bobChat = await bobAccepted;
        PeerShown("bob");
        StartConversation("connect", carol.Address, "pseudo");
        var carolChat = await carolAccepted;
        PeerShown("carol");
        Assert.Contains("NOT ENCRYPTED", Pane.FindElement(By.CssSelector(".banner.bad")).Text, StringComparison.Ordinal);

        await bobChat.SendAsync("for alice from bob");
        await carolChat.SendAsync("for alice from carol");
        Until(_ => Pane.FindElements(By.CssSelector(".messages li.theirs")).Count == 1, "carol's message");
        Assert.Equal("for alice from carol", Pane.FindElement(By.CssSelector(".messages li.theirs .text")).Text);
        var tabs = Browser.FindElements(By.CssSelector("#tabs li"));
        Assert.Equal(2, tabs.Count);
        Until(_ => tabs[0].GetAttribute("class")!.Contains("unread", StringComparison.Ordinal), "bob's tab marked unread");
        Screenshot("09-two-conversations");
        tabs[0].Click();
        PeerShown("bob");
        Assert.Equal("for alice from bob", Until(_ => Pane.FindElement(By.CssSelector(".messages li.theirs .text")).Text, "bob's message"));
    }
}

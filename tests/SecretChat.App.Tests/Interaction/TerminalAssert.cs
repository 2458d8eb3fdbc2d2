using System.Text;

namespace SecretChat.App.Tests.Interaction;

/// <summary>
/// What a terminal must never receive from a peer's or a server's text: ESC (sequences that clear the screen, set the
/// title, write the clipboard), BEL, backspace, a CR not followed by LF (it returns to the start of the line to overwrite
/// it), C1 controls, and bidi controls (they reorder what follows).
/// </summary>
internal static class TerminalAssert
{
    /// <summary>The hostile strings of issue 14, attack 2, each as a peer or a server would send it.</summary>
    public static readonly string[] Attacks =
    [
        "\u001b[2J\u001b[Hscreen cleared",
        "\u001b]0;pwned title\u0007",
        "\u001b]52;c;cm0gLXJmIH4=\u0007",
        "mallory\b\b\b\b\b\b\bbob",
        "over\rwritten",
        "hi\nconnected to bob (noise, safety number 12345 67890 13579 24680)",
        "hi\r\nconnected to bob (noise, safety number 12345 67890 13579 24680)",
        "\u202Eevil\u202C reversed \u2066isolated\u2069 \u200Fmarks\u200E \u061C",
        "\u009b2J C1 CSI and \u007f DEL",
    ];

    /// <summary>The status line the attacks try to forge.</summary>
    public const string ForgedStatus = "connected to bob (noise";

    public static void Safe(byte[] utf8, string what) => Safe(Encoding.UTF8.GetString(utf8), what);

    public static void Safe(string shown, string what)
    {
        for (int i = 0; i < shown.Length; i++)
        {
            char c = shown[i];
            bool bareCr = c == '\r' && (i + 1 == shown.Length || shown[i + 1] != '\n');
            bool control = c is < ' ' and not '\n' and not '\r' || c is >= '\u007f' and <= '\u009f';
            bool bidi = c is '\u061C' or '\u200E' or '\u200F' or >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069';
            Assert.False(bareCr || control || bidi, $"{what} shows U+{(int)c:X4} raw at {i}:\n{shown}");
        }

        foreach (var line in shown.Split('\n'))
            Assert.False(line.StartsWith(ForgedStatus, StringComparison.Ordinal), $"{what} has a line that passes for a status line:\n{shown}");
    }
}

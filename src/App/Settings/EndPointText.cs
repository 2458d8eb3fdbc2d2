using System.Globalization;

namespace SecretChat.App.Settings;

/// <summary>Checks <c>HOST:PORT</c> text (<c>[v6]:PORT</c> for IPv6) without resolving it: resolving is the connector's job.</summary>
public static class EndPointText
{
    public static bool TryParse(string? text, bool allowPortZero, out string host, out int port)
    {
        host = "";
        port = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();

        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1) return false;

        var hostPart = text[..colon];
        if (hostPart.StartsWith('['))
        {
            if (!hostPart.EndsWith(']') || hostPart.Length < 3) return false;
            hostPart = hostPart[1..^1];
            if (!System.Net.IPAddress.TryParse(hostPart, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
                return false;
        }
        else if (hostPart.Contains(':') || hostPart.Any(char.IsWhiteSpace))
        {
            return false; // bare IPv6 is ambiguous: ask for brackets
        }

        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)) return false;
        if (port > 65535 || (port == 0 && !allowPortZero)) return false;

        host = hostPart;
        return true;
    }
}

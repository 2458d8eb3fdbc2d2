using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace SecretChat.Web;

/// <summary>
/// Who may use the page: a browser on this machine that opened the printed URL. The URL's random token is exchanged
/// for a SameSite=Strict, HttpOnly cookie; the Host header must name the address served (DNS rebinding: a foreign
/// name pointing at 127.0.0.1 carries a foreign Host); a WebSocket must come from the page's own origin.
/// </summary>
internal sealed class UiAccess
{
    public const string CookieName = "secretchat_ui";
    public const string TokenParameter = "token";

    private readonly byte[] _token;
    private readonly HashSet<string> _hosts;

    /// <param name="token">The secret in the printed URL (and then in the cookie).</param>
    /// <param name="served">The address and port actually served.</param>
    public UiAccess(string token, IPEndPoint served)
    {
        ArgumentException.ThrowIfNullOrEmpty(token);
        ArgumentNullException.ThrowIfNull(served);
        Token = token;
        _token = Encoding.UTF8.GetBytes(token);
        var port = served.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _hosts = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { $"{Bracketed(served.Address)}:{port}" };
        if (IPAddress.IsLoopback(served.Address))
        {
            _hosts.Add($"localhost:{port}");
            _hosts.Add($"127.0.0.1:{port}");
            _hosts.Add($"[::1]:{port}");
        }
    }

    public string Token { get; }

    /// <summary>A new token: 256 random bits, URL-safe.</summary>
    public static string NewToken() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))
        .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>True when <paramref name="host"/> (the Host header, with its port) names the address served.</summary>
    public bool IsAllowedHost(string? host) => host is not null && _hosts.Contains(host);

    /// <summary>Compares in constant time (the length of a token is no secret: it is fixed).</summary>
    public bool IsToken(string? candidate) =>
        candidate is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), _token);

    /// <summary>True when a WebSocket's Origin is this page's own origin (scheme, the allowed Host, port).</summary>
    public bool IsOwnOrigin(string? origin, string? host) =>
        IsAllowedHost(host) && string.Equals(origin, $"http://{host}", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for an address only this machine reaches: served without asking.</summary>
    public static bool IsLoopback(IPAddress address) => IPAddress.IsLoopback(address);

    private static string Bracketed(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
}

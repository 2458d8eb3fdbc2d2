using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SecretChat.Transport;

/// <summary>A host (name, IPv4 or IPv6 address) and a port, as written on a command line: <c>HOST:PORT</c>.</summary>
/// <remarks>
/// IPv6 addresses are written in brackets, <c>[::1]:3478</c>; whitespace around the text is ignored. Port 0
/// (listen on any free port) is a choice of the caller: allowed by <see cref="Parse(string)"/>, and by the
/// overloads that take <c>allowPortZero</c> only when it is true (an address to connect to needs a real port).
/// </remarks>
public readonly record struct HostPort : IParsable<HostPort>
{
    /// <summary>A host and a port, checked.</summary>
    /// <param name="host">A name or an address literal (IPv6 without brackets).</param>
    /// <param name="port">0 to 65535.</param>
    /// <exception cref="ArgumentException"><paramref name="host"/> is null, empty or white space.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="port"/> is outside 0 to 65535.</exception>
    public HostPort(string host, int port)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, IPEndPoint.MinPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, IPEndPoint.MaxPort);
        Host = host;
        Port = port;
    }

    /// <summary>A name, or an address literal (IPv6 without brackets).</summary>
    public string Host { get; }

    /// <summary>The port, 0 to 65535 (0: any free port, for an address to listen on).</summary>
    public int Port { get; }

    /// <summary>Parses <c>HOST:PORT</c>; port 0 is allowed.</summary>
    /// <exception cref="FormatException">The text is not <c>HOST:PORT</c>; the message says why.</exception>
    public static HostPort Parse(string text) => Parse(text, allowPortZero: true);

    /// <summary>Parses <c>HOST:PORT</c>; port 0 only when <paramref name="allowPortZero"/> (an address to listen on).</summary>
    /// <exception cref="FormatException">The text is not <c>HOST:PORT</c>; the message says why.</exception>
    public static HostPort Parse(string text, bool allowPortZero) =>
        TryParse(text, allowPortZero, out var result, out var error) ? result : throw new FormatException(error);

    /// <summary>Parses <c>HOST:PORT</c> for <see cref="IParsable{TSelf}"/>, as <see cref="Parse(string)"/> does; the provider is ignored.</summary>
    /// <exception cref="FormatException">The text is not <c>HOST:PORT</c>; the message says why.</exception>
    public static HostPort Parse(string s, IFormatProvider? provider) => Parse(s);

    /// <summary>Parses <c>HOST:PORT</c> (port 0 allowed); <see langword="false"/> when the text is not one.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, out HostPort result) =>
        TryParse(text, allowPortZero: true, out result, out _);

    /// <summary>
    /// Parses <c>HOST:PORT</c> (port 0 allowed) for <see cref="IParsable{TSelf}"/>; the provider is ignored.
    /// </summary>
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out HostPort result) =>
        TryParse(s, allowPortZero: true, out result, out _);

    /// <summary>Parses <c>HOST:PORT</c>; port 0 only when <paramref name="allowPortZero"/> (an address to listen on).</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, bool allowPortZero, out HostPort result) =>
        TryParse(text, allowPortZero, out result, out _);

    /// <summary>The address as an endpoint: an <see cref="IPEndPoint"/> for a literal, a <see cref="DnsEndPoint"/> for a name.</summary>
    public EndPoint ToEndPoint() => IPAddress.TryParse(Host, out var address)
        ? new IPEndPoint(address, Port)
        : new DnsEndPoint(Host, Port);

    /// <summary><c>HOST:PORT</c>, with an IPv6 address in brackets; <see cref="Parse(string)"/> reads it back.</summary>
    public override string ToString() =>
        IPAddress.TryParse(Host, out var address) && address.AddressFamily == AddressFamily.InterNetworkV6
            ? $"[{Host}]:{Port.ToString(CultureInfo.InvariantCulture)}"
            : $"{Host}:{Port.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses <c>HOST:PORT</c>, or says in <paramref name="error"/> why the text is not one.</summary>
    public static bool TryParse([NotNullWhen(true)] string? text, bool allowPortZero, out HostPort result, [NotNullWhen(false)] out string? error)
    {
        result = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            error = $"'{text}' is not HOST:PORT";
            return false;
        }

        text = text.Trim();

        string host;
        string portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= text.Length || text[close + 1] != ':')
            {
                error = $"'{text}' is not HOST:PORT (an IPv6 address looks like [::1]:3478)";
                return false;
            }

            host = text[1..close];
            portText = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out var address) || address.AddressFamily != AddressFamily.InterNetworkV6)
            {
                error = $"'{text}' is not HOST:PORT: '{host}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            var colon = text.LastIndexOf(':');
            if (colon < 0)
            {
                error = $"'{text}' is not HOST:PORT";
                return false;
            }

            host = text[..colon];
            portText = text[(colon + 1)..];
            if (host.Contains(':', StringComparison.Ordinal))
            {
                error = $"'{text}' is not HOST:PORT (write an IPv6 address in brackets, e.g. [::1]:3478)";
                return false;
            }

            if (host.Length == 0 || Uri.CheckHostName(host) == UriHostNameType.Unknown)
            {
                error = $"'{text}' is not HOST:PORT: '{host}' is not a host name or address";
                return false;
            }
        }

        if (portText.Length == 0
            || !portText.All(char.IsAsciiDigit)
            || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port > IPEndPoint.MaxPort)
        {
            error = $"'{text}' is not HOST:PORT: the port must be a number from 0 to 65535";
            return false;
        }

        if (port == 0 && !allowPortZero)
        {
            error = $"'{text}' is not HOST:PORT: port 0 is only for listening; give the port to reach";
            return false;
        }

        result = new HostPort(host, port);
        error = null;
        return true;
    }
}

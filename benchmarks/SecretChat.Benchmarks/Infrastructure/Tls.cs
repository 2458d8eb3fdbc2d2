using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SecretChat.Benchmarks.Infrastructure;

/// <summary>
/// The TLS 1.3 baseline's settings: a self-signed ECDSA P-256 server certificate, pinned by the client
/// (as noise pins a key), and session resumption off on both sides so every handshake is a full one.
/// </summary>
public sealed class Tls : IDisposable
{
    public const string HostName = "secretchat.bench";

    private readonly X509Certificate2 _certificate;

    public Tls()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={HostName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(HostName);
        request.CertificateExtensions.Add(names.Build());
        using var ephemeral = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        // Round-tripped through PKCS#12 so the private key is usable by SslStream on every platform.
        _certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
        var pinned = _certificate.GetCertHash(HashAlgorithmName.SHA256);

        Server = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(_certificate, additionalCertificates: null, offline: true),
            EnabledSslProtocols = SslProtocols.Tls13,
            ClientCertificateRequired = false,
            AllowTlsResume = false,
        };
        Client = new SslClientAuthenticationOptions
        {
            TargetHost = HostName,
            EnabledSslProtocols = SslProtocols.Tls13,
            AllowTlsResume = false,
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetCertHash(HashAlgorithmName.SHA256).AsSpan().SequenceEqual(pinned),
        };
    }

    public SslServerAuthenticationOptions Server { get; }

    public SslClientAuthenticationOptions Client { get; }

    /// <summary>Runs a full handshake on both ends of a stream pair; returns the two authenticated streams.</summary>
    public async Task<(SslStream Client, SslStream Server)> HandshakeAsync(Stream clientStream, Stream serverStream)
    {
        var client = new SslStream(clientStream, leaveInnerStreamOpen: false);
        var server = new SslStream(serverStream, leaveInnerStreamOpen: false);
        try
        {
            await Task.WhenAll(
                client.AuthenticateAsClientAsync(Client),
                server.AuthenticateAsServerAsync(Server)).ConfigureAwait(false);
            if (client.SslProtocol != SslProtocols.Tls13)
                throw new AuthenticationException($"Expected TLS 1.3, negotiated {client.SslProtocol}.");
            return (client, server);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public void Dispose() => _certificate.Dispose();
}

using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using ConnExporter.Tests.Infrastructure;

namespace ConnExporter.Tests.Web.Security;

/// <summary>
/// An HttpClient whose connections are opened inside a test namespace from a chosen source
/// address (the throttle keys on it), trusting only the test CA when TLS is used. One
/// connection at a time, kept alive, as a scraper holds it.
/// </summary>
internal static class BoundHttpClient
{
    public static HttpClient Create(TestNamespace ns, IPAddress source, IPEndPoint server, string? caPem = null)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectCallback = (_, _) => ValueTask.FromResult<Stream>(ns.RunInside(() =>
            {
                var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(source, 0));
                    socket.Connect(server);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            })),
        };
        if (caPem is not null)
        {
            var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caPem));
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != 0) return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
        }
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
    }
}

using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ConnExporter.Web.Security;

/// <summary>
/// Decides a client certificate the way Go's crypto/tls does for each client_auth_type, then
/// applies client_allowed_sans as exporter-toolkit does. Verification builds a chain to
/// client_ca_file (or the system roots when none is given) for the clientAuth usage, without
/// revocation checks (Go does none either).
/// </summary>
internal static class ClientCertificateCheck
{
    private static readonly Oid ClientAuthUsage = new("1.3.6.1.5.5.7.3.2");

    public static bool IsAccepted(TlsServerConfig tls, TlsMaterial material, X509Certificate? certificate, X509Chain? offered)
    {
        var client = certificate as X509Certificate2 ?? (certificate is null ? null : X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        return tls.ClientAuth switch
        {
            ClientAuthType.NoClientCert or ClientAuthType.RequestClientCert => true,
            ClientAuthType.RequireAnyClientCert => client is not null && SansAllowed(tls, client),
            ClientAuthType.VerifyClientCertIfGiven => client is null || Verifies(material, client, offered),
            ClientAuthType.RequireAndVerifyClientCert => client is not null && Verifies(material, client, offered) && SansAllowed(tls, client),
            _ => false,
        };
    }

    private static bool SansAllowed(TlsServerConfig tls, X509Certificate2 client)
    {
        if (tls.ClientAllowedSans is not { } allowed) return true;
        foreach (var name in CertificateSans.Read(client))
            if (allowed.Contains(name, StringComparer.Ordinal)) return true;
        return false;
    }

    private static bool Verifies(TlsMaterial material, X509Certificate2 client, X509Chain? offered)
    {
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.ApplicationPolicy.Add(ClientAuthUsage);
        if (material.ClientCas.Count > 0)
        {
            policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            policy.CustomTrustStore.AddRange(material.ClientCas);
        }
        // Intermediates the client sent along with its certificate.
        if (offered is not null) policy.ExtraStore.AddRange(offered.ChainPolicy.ExtraStore);
        try
        {
            return chain.Build(client);
        }
        catch (CryptographicException)
        {
            return false;
        }
        finally
        {
            foreach (var element in chain.ChainElements) element.Certificate.Dispose();
        }
    }
}

namespace ConnExporter.Web.Security;

/// <summary>
/// tls_server_config.client_auth_type: the values of Go's <c>tls.ClientAuthType</c> that
/// exporter-toolkit accepts (plus its legacy alias <c>RequireClientCert</c>).
/// </summary>
public enum ClientAuthType
{
    /// <summary>No certificate is asked for.</summary>
    NoClientCert,

    /// <summary>Asked for, not required, not verified.</summary>
    RequestClientCert,

    /// <summary>Required, not verified against a CA (client_allowed_sans may still apply).</summary>
    RequireAnyClientCert,

    /// <summary>Not required; when sent it must verify against client_ca_file.</summary>
    VerifyClientCertIfGiven,

    /// <summary>Required and verified against client_ca_file (mTLS).</summary>
    RequireAndVerifyClientCert,
}

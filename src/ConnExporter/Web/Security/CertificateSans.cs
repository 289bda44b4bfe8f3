using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace ConnExporter.Web.Security;

/// <summary>
/// The subject alternative names of a certificate as strings, the set Go's exporter-toolkit
/// matches client_allowed_sans against: DNS names, e-mail addresses, IP addresses and URIs.
/// </summary>
internal static class CertificateSans
{
    private const string SubjectAltNameOid = "2.5.29.17";

    public static List<string> Read(X509Certificate2 certificate)
    {
        var names = new List<string>();
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid) continue;
            try
            {
                // GeneralNames ::= SEQUENCE OF GeneralName (RFC 5280 4.2.1.6).
                var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
                var sequence = reader.ReadSequence();
                while (sequence.HasData)
                {
                    var tag = sequence.PeekTag();
                    if (tag.TagClass != TagClass.ContextSpecific)
                    {
                        sequence.ReadEncodedValue();
                        continue;
                    }
                    switch (tag.TagValue)
                    {
                        case 1: // rfc822Name
                        case 2: // dNSName
                        case 6: // uniformResourceIdentifier
                            names.Add(sequence.ReadCharacterString(UniversalTagNumber.IA5String, tag));
                            break;
                        case 7: // iPAddress
                            var bytes = sequence.ReadOctetString(tag);
                            if (bytes.Length is 4 or 16) names.Add(new IPAddress(bytes).ToString());
                            break;
                        default:
                            sequence.ReadEncodedValue();
                            break;
                    }
                }
            }
            catch (AsnContentException)
            {
                // A malformed extension contributes no names: the match then fails closed.
            }
        }
        return names;
    }
}

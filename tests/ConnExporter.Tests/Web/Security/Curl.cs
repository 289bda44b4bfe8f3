using System.Diagnostics;

namespace ConnExporter.Tests.Web.Security;

/// <summary>Runs the real curl with exact arguments; returns the HTTP status (0 when no response) and body.</summary>
internal static class Curl
{
    public sealed record Response(int Status, string Body, string Stderr, string HttpVersion);

    public static Response Get(string url, params string[] args)
    {
        var psi = new ProcessStartInfo("curl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["-sS", "--max-time", "20", "-w", "\n%{http_code} %{http_version}", .. args, url]) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        var text = stdout.Result;
        int cut = text.LastIndexOf('\n');
        var trailer = text[(cut + 1)..].Split(' ');
        int status = int.TryParse(trailer[0], out int s) ? s : 0;
        return new Response(status, text[..Math.Max(cut, 0)], stderr, trailer.Length > 1 ? trailer[1] : "");
    }
}

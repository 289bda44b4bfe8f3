using System.Net;
using System.Text;
using ConnExporter.Cli;
using ConnExporter.Metrics;

namespace ConnExporter.Web;

/// <summary>The <c>/</c> page: name, version, links and the enabled collectors.</summary>
public static class LandingPage
{
    public static string Render(string telemetryPath, IEnumerable<ISnapshotView> enabled, bool ui = true)
    {
        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>conn-exporter</title></head><body>\n")
          .Append("<h1>conn-exporter</h1>\n<p>Network connections of this host for Prometheus. Version ")
          .Append(WebUtility.HtmlEncode(BuildInfo.Version)).Append(" (").Append(WebUtility.HtmlEncode(BuildInfo.Runtime)).Append(")</p>\n<ul>\n")
          .Append("<li><a href=\"").Append(WebUtility.HtmlEncode(telemetryPath)).Append("\">Metrics</a></li>\n")
          .Append(ui ? "<li><a href=\"connections\">Connections</a> (live table) · <a href=\"api/v1/connections\">as JSON</a></li>\n" : "")
          .Append("<li><a href=\"health\">Health (JSON)</a></li>\n")
          .Append("<li><a href=\"-/ready\">Ready</a> · <a href=\"-/healthy\">Healthy</a></li>\n</ul>\n<h2>Enabled collectors</h2>\n<ul>\n");
        foreach (var view in enabled)
            sb.Append("<li><code>").Append(view.Name).Append("</code>: ").Append(WebUtility.HtmlEncode(view.Description)).Append("</li>\n");
        sb.Append("</ul>\n</body></html>\n");
        return sb.ToString();
    }
}

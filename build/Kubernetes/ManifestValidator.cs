using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;

namespace AgentSystem.Build.Kubernetes;

/// <summary>What one overlay rendered to and what the checks found in it.</summary>
public sealed record OverlayReport(string Overlay, IReadOnlyList<ManifestObject> Objects, IReadOnlyList<ManifestProblem> Problems);

/// <summary>Renders every overlay, reads its objects strictly and runs the checks on them.</summary>
public static class ManifestValidator
{
    public const string RenderCheck = "render";

    public static List<OverlayReport> Validate(string root, ServiceCatalog catalog, Kustomize kustomize, CancellationToken cancellationToken = default)
    {
        var overlays = Kustomize.Overlays(root);
        if (overlays.Count == 0)
        {
            throw new TargetFailedException($"No overlay to validate: no folder below {Kustomize.OverlaysFolder} holds a kustomization.yaml.");
        }

        var reports = new List<OverlayReport>();
        foreach (var overlay in overlays)
        {
            RenderedOverlay rendered;
            try
            {
                rendered = kustomize.Render(overlay, cancellationToken: cancellationToken);
            }
            catch (KustomizeException e)
            {
                var file = $"{Kustomize.OverlaysFolder}/{overlay}/kustomization.yaml";
                reports.Add(new OverlayReport(overlay, [], [new ManifestProblem(RenderCheck, overlay, file, ManifestProblem.NoObject, ManifestProblem.NoObject, e.Message)]));
                continue;
            }
            var (objects, problems) = ManifestReader.Read(rendered, root);
            problems.AddRange(ManifestChecks.Run(overlay, objects, catalog));
            reports.Add(new OverlayReport(overlay, objects, problems));
        }
        return reports;
    }

    /// <summary>
    /// One row per check, one column per overlay: "ok" or how many problems it found; "-" for the checks of an overlay
    /// kustomize could not render (they did not run: "ok" would say they passed).
    /// </summary>
    public static TextTable Summary(IReadOnlyList<OverlayReport> reports)
    {
        var rendered = reports.Select(r => r.Problems.All(p => p.Check != RenderCheck)).ToList();
        var table = new TextTable(["Check", .. reports.Select(r => r.Overlay)]);
        table.AddRow(["objects", .. reports.Select((r, i) => rendered[i] ? r.Objects.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) : "-")]);
        foreach (var check in ManifestChecks.Names.Prepend(RenderCheck))
        {
            var counts = reports.Select(r => r.Problems.Count(p => p.Check == check)).ToList();
            if (check == RenderCheck && counts.All(c => c == 0))
            {
                continue;
            }

            table.AddRow([check, .. counts.Select((c, i) => c > 0 ? $"{c} failed" : rendered[i] ? "ok" : "-")]);
        }
        return table;
    }
}

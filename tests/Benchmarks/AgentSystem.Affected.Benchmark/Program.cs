using System.Diagnostics;
using System.Globalization;
using AgentSystem.Affected.Benchmark;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;

// Affected detection on generated monorepos. Each size reports the first (cold) run, the median of warm runs, and as
// a reference the git commands alone that any git-based detector must pay (ls-files + diff), timed in turn with the
// detection so that both see the same load on a shared machine; the ratio is the median of the per-run ratios.
const int WarmRuns = 11;
var sizes = args.Length > 0 ? args.Select(a => int.Parse(a, CultureInfo.InvariantCulture)).ToArray() : [250, 1000, 2000];
var scratch = Directory.CreateTempSubdirectory("affected-bench-").FullName;
var table = new TextTable("Projects", "Files", "References", "Services hit", "Projects hit", "First run", "Warm median", "git alone", "Warm / git");
try
{
    foreach (var size in sizes)
    {
        Console.WriteLine($"Generating a monorepo of {size} projects...");
        var repo = new MonorepoGenerator(size).Write(Path.Combine(scratch, size.ToString(CultureInfo.InvariantCulture)));
        MonorepoGenerator.MakeChanges(repo);

        var detector = new AffectedDetector(repo.Root);
        var watch = Stopwatch.StartNew();
        var result = detector.Detect(baseRef: null, all: false);
        var first = watch.Elapsed;
        if (result.All || result.Services.Count == 0)
        {
            throw new InvalidOperationException($"unexpected result at {size}: all={result.All}, services={result.Services.Count}");
        }

        var git = new Git(repo.Root);
        var warm = new List<double>();
        var gitAlone = new List<double>();
        for (var i = 0; i < WarmRuns; i++)
        {
            warm.Add(Time(() => detector.Detect(baseRef: null, all: false)));
            gitAlone.Add(Time(() => { git.ListFiles(); git.ChangedSince("main"); }));
        }
        var ratio = Median(warm.Zip(gitAlone, (d, g) => d / g));

        table.AddRow(size.ToString(CultureInfo.InvariantCulture), repo.FileCount.ToString(CultureInfo.InvariantCulture),
            repo.ReferenceCount.ToString(CultureInfo.InvariantCulture), result.Services.Count.ToString(CultureInfo.InvariantCulture),
            result.Projects.Count.ToString(CultureInfo.InvariantCulture), Ms(first.TotalMilliseconds), Ms(Median(warm)), Ms(Median(gitAlone)),
            ratio.ToString("0.0x", CultureInfo.InvariantCulture));
    }
}
finally
{
    Directory.Delete(scratch, recursive: true);
}

Console.WriteLine();
foreach (var line in table.Render())
{
    Console.WriteLine(line);
}

Console.WriteLine();
Console.WriteLine("Goal: at most 2x git alone at 2000 projects. For scale, dotnet-affected's published wall times on generated repos:");
Console.WriteLine("250 projects 5.9 s, 1000 projects 28.1 s, 2000 projects 111.4 s (v7); 726.9 s at 2000 (v6.2).");
return 0;

static double Time(Action action)
{
    var watch = Stopwatch.StartNew();
    action();
    return watch.Elapsed.TotalMilliseconds;
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}

static string Ms(double milliseconds) => $"{milliseconds.ToString("0", CultureInfo.InvariantCulture)} ms";

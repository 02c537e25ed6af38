using System.Diagnostics;
using System.Globalization;
using AgentSystem.Affected.Benchmark;
using AgentSystem.Build.Engine;
using AgentSystem.Build.Monorepo;

// Affected detection on generated monorepos. Each size reports the first (cold) run, the median of warm runs, and as
// a reference measured in the same run, the git commands alone that any git-based detector must pay (ls-files + diff).
const int WarmRuns = 7;
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

        var warm = Median(WarmRuns, () => detector.Detect(baseRef: null, all: false));
        var git = new Git(repo.Root);
        var gitAlone = Median(WarmRuns, () => { git.ListFiles(); git.ChangedSince("main"); });
        if (result.All || result.Services.Count == 0) throw new InvalidOperationException($"unexpected result at {size}: all={result.All}, services={result.Services.Count}");

        table.AddRow(size.ToString(CultureInfo.InvariantCulture), repo.FileCount.ToString(CultureInfo.InvariantCulture),
            repo.ReferenceCount.ToString(CultureInfo.InvariantCulture), result.Services.Count.ToString(CultureInfo.InvariantCulture),
            result.Projects.Count.ToString(CultureInfo.InvariantCulture), Ms(first), Ms(warm), Ms(gitAlone),
            (warm.TotalMilliseconds / gitAlone.TotalMilliseconds).ToString("0.0x", CultureInfo.InvariantCulture));
    }
}
finally
{
    Directory.Delete(scratch, recursive: true);
}

Console.WriteLine();
foreach (var line in table.Render()) Console.WriteLine(line);
Console.WriteLine();
Console.WriteLine("Goal: under 1 s at 2000 projects. For scale, dotnet-affected's published wall times on generated repos:");
Console.WriteLine("250 projects 5.9 s, 1000 projects 28.1 s, 2000 projects 111.4 s (v7); 726.9 s at 2000 (v6.2).");
return 0;

static TimeSpan Median(int runs, Action action)
{
    var times = new List<TimeSpan>();
    for (var i = 0; i < runs; i++)
    {
        var watch = Stopwatch.StartNew();
        action();
        times.Add(watch.Elapsed);
    }
    times.Sort();
    return times[runs / 2];
}

static string Ms(TimeSpan time) => $"{time.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms";

using System.Globalization;
using System.Xml;

namespace AgentSystem.Build.Testing;

/// <summary>Counts from test result files: TRX from dotnet test, JUnit XML from vitest.</summary>
public sealed record TestTally(int Passed, int Failed, int Skipped)
{
    public static readonly TestTally Empty = new(0, 0, 0);

    public static TestTally operator +(TestTally a, TestTally b) => new(a.Passed + b.Passed, a.Failed + b.Failed, a.Skipped + b.Skipped);

    /// <summary>"N passed, N failed", with ", N skipped" when any were skipped.</summary>
    public override string ToString() =>
        Skipped > 0 ? $"{Passed} passed, {Failed} failed, {Skipped} skipped" : $"{Passed} passed, {Failed} failed";

    /// <summary>
    /// The build's last line: the tally, or once interrupted what the result files written by then count (a test run
    /// stopped midway writes none), said to be partial: a bare "0 passed, 0 failed" after Ctrl+C read as a clean run.
    /// </summary>
    public static string Closing(TestTally tally, string directory, bool interrupted) =>
        interrupted ? $"{FromDirectory(directory)} in the test runs that finished before the interruption" : tally.ToString();

    /// <summary>Every TRX (dotnet test) and *-junit.xml (vitest) file below <paramref name="directory"/>, added up.</summary>
    public static TestTally FromDirectory(string directory) =>
        ResultFiles(directory).Select(path => IsTrx(path) ? FromTrx(path) : FromJUnit(path)).Aggregate(Empty, (a, b) => a + b);

    /// <summary>The TRX (dotnet test) and *-junit.xml (vitest) files below <paramref name="directory"/>, in path order.</summary>
    public static IReadOnlyList<string> ResultFiles(string directory) =>
        [.. Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories)
            .Where(path => IsTrx(path) || path.EndsWith("-junit.xml", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)];

    /// <summary>The failed tests' names in the result files below <paramref name="directory"/> (<see cref="FailedTests(IEnumerable{string})"/>).</summary>
    public static IReadOnlyList<string> FailedTests(string directory) => FailedTests(ResultFiles(directory));

    /// <summary>
    /// The failed tests' names in <paramref name="files"/>, file by file (TRX: the test's full name; JUnit: its file and
    /// name), each cut to <see cref="NameLength"/> characters (a theory's name holds its arguments). Only for saying where
    /// to look: a file that cannot be read is left out, not an error.
    /// </summary>
    public static IReadOnlyList<string> FailedTests(IEnumerable<string> files) =>
        [.. files
            .SelectMany(path => Readable(path, IsTrx(path) ? FailedInTrx : FailedInJUnit))
            .Select(name => name.Length > NameLength ? name[..(NameLength - 1)] + "…" : name)
            .Distinct(StringComparer.Ordinal)];

    public const int NameLength = 120;

    private static bool IsTrx(string path) => path.EndsWith(".trx", StringComparison.Ordinal);

    private static IEnumerable<string> Readable(string path, Func<string, IEnumerable<string>> read)
    {
        try
        {
            return [.. read(path)];
        }
        catch (Exception error) when (error is XmlException or IOException)
        {
            return [];
        }
    }

    private static IEnumerable<string> FailedInTrx(string path) =>
        Load(path).GetElementsByTagName("UnitTestResult").OfType<XmlElement>()
            .Where(result => result.GetAttribute("outcome") is "Failed" or "Error" or "Timeout" or "Aborted")
            .Select(result => result.GetAttribute("testName"));

    private static IEnumerable<string> FailedInJUnit(string path) =>
        Load(path).GetElementsByTagName("testcase").OfType<XmlElement>()
            .Where(test => test["failure"] is not null || test["error"] is not null)
            .Select(test => $"{test.GetAttribute("classname")} > {test.GetAttribute("name")}".TrimStart(' ', '>'));

    /// <summary>Reads the <c>Counters</c> element of a TRX file.</summary>
    public static TestTally FromTrx(string path)
    {
        var counters = Load(path).GetElementsByTagName("Counters").OfType<XmlElement>().FirstOrDefault()
            ?? throw new InvalidDataException($"{path} has no Counters element: is it a TRX file?");
        var failed = Int(counters, "failed") + Int(counters, "error") + Int(counters, "timeout") + Int(counters, "aborted");
        return new TestTally(Int(counters, "passed"), failed, Int(counters, "notExecuted"));
    }

    /// <summary>Sums the test cases of a JUnit XML file.</summary>
    public static TestTally FromJUnit(string path)
    {
        var cases = Load(path).GetElementsByTagName("testcase").OfType<XmlElement>().ToList();
        var failed = cases.Count(c => c["failure"] is not null || c["error"] is not null);
        var skipped = cases.Count(c => c["skipped"] is not null);
        return new TestTally(cases.Count - failed - skipped, failed, skipped);
    }

    /// <summary>A result file's XML, no external entity resolved.</summary>
    internal static XmlDocument Load(string path)
    {
        var document = new XmlDocument { XmlResolver = null };
        document.Load(path);
        return document;
    }

    private static int Int(XmlElement element, string attribute) =>
        int.TryParse(element.GetAttribute(attribute), NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;
}

using AgentSystem.Build.Testing;

namespace AgentSystem.Build.Tests;

public sealed class TestTallyTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tally-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Reads_trx_counters_with_errors_and_timeouts_as_failures()
    {
        var path = Write("a/run.trx", """
            <?xml version="1.0" encoding="utf-8"?>
            <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010">
              <ResultSummary outcome="Failed">
                <Counters total="12" executed="11" passed="8" failed="2" error="1" timeout="0" aborted="0" notExecuted="1" />
              </ResultSummary>
            </TestRun>
            """);
        Assert.Equal(new TestTally(8, 3, 1), TestTally.FromTrx(path));
    }

    [Fact]
    public void Reads_junit_test_cases()
    {
        var path = Write("frontend-junit.xml", """
            <testsuites tests="4">
              <testsuite name="a" tests="4">
                <testcase name="ok" /><testcase name="ok2" />
                <testcase name="bad"><failure message="x" /></testcase>
                <testcase name="later"><skipped /></testcase>
              </testsuite>
            </testsuites>
            """);
        Assert.Equal(new TestTally(2, 1, 1), TestTally.FromJUnit(path));
    }

    [Fact]
    public void Adds_up_every_result_file_in_a_folder()
    {
        Write("unit/x.trx", """<TestRun><ResultSummary><Counters passed="5" failed="0" notExecuted="0" /></ResultSummary></TestRun>""");
        Write("integration/y.trx", """<TestRun><ResultSummary><Counters passed="2" failed="1" notExecuted="0" /></ResultSummary></TestRun>""");
        Write("node/frontend-junit.xml", """<testsuites><testsuite><testcase name="a" /></testsuite></testsuites>""");
        Assert.Equal(new TestTally(8, 1, 0), TestTally.FromDirectory(_folder));
    }

    [Fact]
    public void Names_the_failed_tests_of_every_result_file_once()
    {
        Write("unit/x.trx", """
            <TestRun xmlns="http://microsoft.com/schemas/VisualStudio/TeamTest/2010"><Results>
              <UnitTestResult testName="A.Tests.Passes" outcome="Passed" />
              <UnitTestResult testName="A.Tests.Fails" outcome="Failed" />
              <UnitTestResult testName="A.Tests.Hangs" outcome="Timeout" />
            </Results></TestRun>
            """);
        Write("unit/again.trx", """<TestRun><Results><UnitTestResult testName="A.Tests.Fails" outcome="Failed" /></Results></TestRun>""");
        Write("node/frontend-junit.xml", """
            <testsuites><testsuite>
              <testcase classname="src/App.test.tsx" name="renders"><failure message="x" /></testcase>
              <testcase classname="src/App.test.tsx" name="ok" />
            </testsuite></testsuites>
            """);

        Assert.Equal(["src/App.test.tsx > renders", "A.Tests.Fails", "A.Tests.Hangs"], TestTally.FailedTests(_folder));   // node/, then unit/
    }

    [Fact]
    public void A_failed_tests_name_is_cut_and_an_unreadable_file_is_left_out()
    {
        Write("a/cut.trx", $"""<TestRun><Results><UnitTestResult testName="T.Theory(input: &quot;{new string('x', 200)}&quot;)" outcome="Failed" /></Results></TestRun>""");
        Write("b/broken.trx", """<TestRun><Results><UnitTestResult testName="T.Lost" outc""");

        var name = Assert.Single(TestTally.FailedTests(_folder));
        Assert.Equal(TestTally.NameLength, name.Length);
        Assert.StartsWith("T.Theory(input: \"xxx", name, StringComparison.Ordinal);
        Assert.EndsWith("…", name, StringComparison.Ordinal);
    }

    [Fact]
    public void Prints_skipped_only_when_some_were()
    {
        Assert.Equal("3 passed, 0 failed", new TestTally(3, 0, 0).ToString());
        Assert.Equal("3 passed, 1 failed, 2 skipped", new TestTally(3, 1, 2).ToString());
    }

    [Fact]
    public void Interrupted_the_closing_line_counts_the_finished_runs_and_says_it_is_partial()
    {
        Write("unit/x.trx", """<TestRun><ResultSummary><Counters passed="5" failed="1" notExecuted="0" /></ResultSummary></TestRun>""");

        Assert.Equal("5 passed, 1 failed in the test runs that finished before the interruption", TestTally.Closing(TestTally.Empty, _folder, interrupted: true));
        Assert.Equal("7 passed, 0 failed", TestTally.Closing(new TestTally(7, 0, 0), _folder, interrupted: false));
    }

    [Fact]
    public void A_file_without_counters_is_a_clear_error()
    {
        var path = Write("broken.trx", "<TestRun />");
        Assert.Contains("no Counters element", Assert.Throws<InvalidDataException>(() => TestTally.FromTrx(path)).Message);
    }

    private string Write(string relative, string content)
    {
        var path = Path.Combine(_folder, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }
}

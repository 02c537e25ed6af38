using System.Globalization;
using System.Runtime.InteropServices;
using AgentSystem.Build.Engine;
using AgentSystem.Load;

// The load harness (NBomber's concepts; NBomber itself is not served): ./build.sh LoadTest runs it from a Release build.
// Exit codes: 0 every threshold passed, 1 a threshold or check failed, 2 a usage error, 3 the system did not start.
if (LoadOptions.AsksForHelp(args))
{
    Console.WriteLine(Help());
    return 0;
}

var (options, error) = LoadOptions.Parse(args);
if (options is null)
{
    // The error alone: under ./build.sh LoadTest the harness's own options (--workers, --output...) are not the user's.
    Console.Error.WriteLine(error);
    Console.Error.WriteLine("./build.sh --help lists LoadTest's options; the harness's own: dotnet run --project tests/Load/AgentSystem.Load -- --help.");
    return 2;
}

using var cancellation = new CancellationTokenSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    cancellation.Cancel();
}

static string Help() => string.Join(Environment.NewLine, LoadOptions.Help(TextTable.TerminalWidth()));

static void Log(string line) => Console.WriteLine($"[{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}] {line}");

try
{
    return await new LoadRun(options, Log).RunAsync(cancellation.Token);
}
catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
{
    Console.Error.WriteLine("Interrupted.");
    return 130;
}
catch (Exception startError) when (startError is InvalidOperationException or TimeoutException or IOException or UnauthorizedAccessException or AgentSystem.Testing.Containers.ContainerStartException)
{
    Console.Error.WriteLine($"The load run could not proceed: {startError.Message}");
    return 3;
}

using System.Collections.Concurrent;
using AgentSystem.Testing.Containers.Engine;

namespace AgentSystem.Testing.Containers.Images;

/// <summary>
/// Makes an image present: the chosen reference if it is local, else pulled; when the pull fails (no registry here)
/// the local equivalent, said once. Decided once per reference per process, so a failing pull is not retried per test.
/// </summary>
public sealed class ImageProvider(DockerClient client)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<string>>> decisions = new(StringComparer.Ordinal);

    /// <summary>The reference to create containers from.</summary>
    public Task<string> EnsureAsync(ImageChoice choice, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(choice);
        var key = $"{choice.Reference}|{choice.LocalEquivalent}";
        // Not cancelled by one caller: the decision is shared by every test that asks for the same image.
        return decisions.GetOrAdd(key, _ => new Lazy<Task<string>>(() => DecideAsync(choice))).Value.WaitAsync(cancellationToken);
    }

    private async Task<string> DecideAsync(ImageChoice choice)
    {
        if (await client.ImageExistsAsync(choice.Reference, CancellationToken.None).ConfigureAwait(false))
        {
            return choice.Reference;
        }

        Exception pullError;
        try
        {
            await client.PullImageAsync(choice.Reference, CancellationToken.None).ConfigureAwait(false);
            return choice.Reference;
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or OperationCanceledException)
        {
            pullError = ex;
        }

        var reason = FirstLine(pullError.Message);
        if (choice.LocalEquivalent is { } local && await client.ImageExistsAsync(local, CancellationToken.None).ConfigureAwait(false))
        {
            ContainerLog.Info($"cannot pull {choice.Reference} ({reason}); using the local equivalent {local}");
            return local;
        }

        var overrideHint = choice.Logical is { } logical
            ? $" (or set {ImageNameResolver.VariableFor(logical)} to an image this machine has)"
            : string.Empty;
        var localPart = choice.LocalEquivalent is null ? string.Empty : $" and its local equivalent {choice.LocalEquivalent} is missing";
        throw new ImageNotAvailableException(
            $"Image {choice.Reference} [{choice.Source}] is not on this machine and could not be pulled ({reason}){localPart}: " +
            $"{ImageNotAvailableException.Remedy}{overrideHint}",
            pullError);
    }

    private static string FirstLine(string text)
    {
        var newline = text.IndexOf('\n', StringComparison.Ordinal);
        return (newline < 0 ? text : text[..newline]).Trim();
    }
}

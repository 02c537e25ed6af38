using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace AgentSystem.Build.Deploy;

/// <summary>
/// A deploy's cluster name, "agentsystem-5f3a9c-12070614-3fa9": the tag of the checkout that made it, the time (UTC),
/// and a random part so two at once differ. The tag lets DeleteClusters delete this checkout's clusters and leave
/// another checkout's on the same engine alone, a deploy it is running among them.
/// </summary>
public static partial class ClusterNames
{
    public const string Prefix = "agentsystem-";

    /// <summary>Who made a cluster named <see cref="Prefix"/>* that is not of this checkout, as DeleteClusters and the kind preflight say it.</summary>
    public const string NotThisCheckouts = "made by another checkout (its deploy may be running) or by a build from before clusters carried their checkout's tag";

    /// <summary>What every cluster <paramref name="checkout"/> makes starts with.</summary>
    public static string OfCheckout(string checkout) => $"{Prefix}{Tag(checkout)}-";

    public static string New(string checkout) => $"{OfCheckout(checkout)}{DateTime.UtcNow:MMddHHmm}-{Random.Shared.Next(0x10000):x4}";

    /// <summary>
    /// Six random hex digits made once per checkout and kept in .nuke/temp/cluster-tag (which git ignores). Not its path:
    /// checkouts in containers that share one engine often have the same (/workspaces/...), and a symlink or a move
    /// changes it.
    /// </summary>
    private static string Tag(string checkout)
    {
        var file = Path.Combine(checkout, ".nuke", "temp", "cluster-tag");
        if (Read(file) is { } tag)
        {
            return tag;
        }

        var fresh = $"{file}.{Environment.ProcessId}";
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(fresh, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)));
        try
        {
            // One that is there but unreadable (edited by hand) is replaced.
            File.Move(fresh, file, overwrite: File.Exists(file));
        }
        catch (IOException)
        {
            // Another build of this checkout made it first: its tag is the one.
            File.Delete(fresh);
        }

        return Read(file) ?? throw new InvalidOperationException($"{file} holds no tag of six hex digits after writing one.");
    }

    private static string? Read(string file) =>
        File.Exists(file) && File.ReadAllText(file).Trim() is var text && TagPattern().IsMatch(text) ? text : null;

    [GeneratedRegex("^[0-9a-f]{6}$")]
    private static partial Regex TagPattern();
}

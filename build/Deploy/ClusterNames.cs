using System.Security.Cryptography;
using System.Text;

namespace AgentSystem.Build.Deploy;

/// <summary>
/// A deploy's cluster name, "agentsystem-5f3a9c-12070614-3fa9": a tag of the checkout that made it, the time (UTC), and
/// a random part so two at once differ. The tag lets DeleteClusters delete this checkout's clusters and leave another
/// checkout's on the same engine alone, a deploy it is running among them.
/// </summary>
public static class ClusterNames
{
    public const string Prefix = "agentsystem-";

    /// <summary>What every cluster <paramref name="checkout"/> makes starts with.</summary>
    public static string OfCheckout(string checkout) => $"{Prefix}{Tag(checkout)}-";

    public static string New(string checkout) => $"{OfCheckout(checkout)}{DateTime.UtcNow:MMddHHmm}-{Random.Shared.Next(0x10000):x4}";

    /// <summary>Six hex digits of the checkout's full path: short enough for kind's node names, and no path in them.</summary>
    private static string Tag(string checkout)
    {
        var path = Path.TrimEndingDirectorySeparator(Path.GetFullPath(checkout));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(path)))[..6];
    }
}

namespace AgentSystem.Testing.Containers.Images;

/// <summary>
/// Turns a logical image into a reference: AGENTSYSTEM_IMAGE_&lt;NAME&gt; replaces the default, then
/// AGENTSYSTEM_REGISTRY_PREFIX (like TESTCONTAINERS_HUB_IMAGE_NAME_PREFIX) is put before Docker Hub references, for a
/// mirror. Pure: the environment is passed in, so the rules are tested without touching the process.
/// </summary>
public sealed class ImageNameResolver(Func<string, string?> environment)
{
    public const string ImageVariablePrefix = "AGENTSYSTEM_IMAGE_";
    public const string RegistryPrefixVariable = "AGENTSYSTEM_REGISTRY_PREFIX";

    public static ImageNameResolver FromProcessEnvironment { get; } = new(Environment.GetEnvironmentVariable);

    /// <summary>AGENTSYSTEM_IMAGE_POSTGRES for "postgres"; characters other than letters and digits become '_'.</summary>
    public static string VariableFor(LogicalImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return ImageVariablePrefix + new string(image.Name.Select(c => char.IsAsciiLetterOrDigit(c) ? char.ToUpperInvariant(c) : '_').ToArray());
    }

    public ImageChoice Resolve(LogicalImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var variable = VariableFor(image);
        var overridden = environment(variable);
        var (reference, source) = string.IsNullOrWhiteSpace(overridden)
            ? (image.DefaultReference, "default")
            : (overridden.Trim(), variable);
        var prefixed = ApplyRegistryPrefix(reference);
        if (prefixed != reference)
        {
            source += $" + {RegistryPrefixVariable}";
        }

        return new ImageChoice(prefixed, source, image, image.LocalEquivalent);
    }

    /// <summary>An explicit reference: only the registry prefix applies, and there is no local equivalent.</summary>
    public ImageChoice Resolve(string reference)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        var prefixed = ApplyRegistryPrefix(reference);
        return new ImageChoice(prefixed, prefixed == reference ? "explicit" : $"explicit + {RegistryPrefixVariable}", null, null);
    }

    /// <summary>Puts the prefix before a Docker Hub reference; one naming a registry host is left alone.</summary>
    public string ApplyRegistryPrefix(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var prefix = environment(RegistryPrefixVariable)?.Trim().TrimEnd('/');
        return string.IsNullOrEmpty(prefix) || NamesRegistry(reference) ? reference : $"{prefix}/{reference}";
    }

    /// <summary>Docker's rule: the first path part is a registry host when it has a '.' or a ':' or is "localhost".</summary>
    public static bool NamesRegistry(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var slash = reference.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            return false;
        }

        var first = reference[..slash];
        return first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost";
    }
}

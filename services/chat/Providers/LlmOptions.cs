using Microsoft.Extensions.Options;

namespace AgentSystem.Chat.Providers;

/// <summary>An OpenAI-compatible chat completions API; without <see cref="BaseUrl"/> the offline provider answers.</summary>
public sealed class LlmOptions
{
    public const string SectionName = "Llm";

    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(10);

    /// <summary>For example <c>https://api.openai.com/v1</c>; requests go to <c>{BaseUrl}/chat/completions</c>.</summary>
    public string? BaseUrl { get; set; }

    public string? ApiKey { get; set; }

    public string? Model { get; set; }

    /// <summary>Until the provider's answer starts; a stream may then take as long as it needs.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    public bool IsConfigured => !string.IsNullOrWhiteSpace(BaseUrl);

    public IEnumerable<string> Problems()
    {
        if (!IsConfigured)
        {
            yield break;
        }

        if (!Uri.TryCreate(BaseUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            yield return $"Llm:BaseUrl must be an absolute http(s) URL, not '{BaseUrl}'.";
        }

        if (string.IsNullOrWhiteSpace(Model))
        {
            yield return "Llm:Model is required when Llm:BaseUrl is set.";
        }

        if (Timeout <= TimeSpan.Zero || Timeout > MaxTimeout)
        {
            yield return $"Llm:Timeout must be above zero and at most {MaxTimeout} (hh:mm:ss; a bare '60' means 60 days).";
        }
    }
}

public sealed class LlmOptionsValidator : IValidateOptions<LlmOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        var problems = options.Problems().ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}

namespace AgentSystem.Gateway.Tests;

public sealed class GatewayOptionsTests
{
    [Fact]
    public void Validator_accepts_absolute_http_urls()
    {
        var result = new GatewayOptionsValidator().Validate(null, new GatewayOptions { OrchestratorUrl = "http://orchestrator:8000", ChatUrl = "https://chat" });

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void Validator_names_the_missing_url()
    {
        var result = new GatewayOptionsValidator().Validate(null, new GatewayOptions { OrchestratorUrl = "", ChatUrl = "http://chat:3001" });

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, failure => failure.Contains(nameof(GatewayOptions.OrchestratorUrl), StringComparison.Ordinal));
    }
}

public sealed class GatewayOptionsRangeTests
{
    [Fact]
    public void Validator_checks_the_limits_too()
    {
        var options = new GatewayOptions
        {
            OrchestratorUrl = "http://orchestrator:8000",
            ChatUrl = "http://chat:3001",
            MaxRequestBodyBytes = 0,
            RateLimit = new RateLimitOptions { PermitsPerSecond = 0 },
        };

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, failure => failure.Contains(nameof(GatewayOptions.MaxRequestBodyBytes), StringComparison.Ordinal));
        Assert.Contains(result.Failures!, failure => failure.Contains(nameof(RateLimitOptions.PermitsPerSecond), StringComparison.Ordinal));
    }
}

public sealed class ApiKeyAuditTests
{
    [Fact]
    public void Keys_of_the_repositorys_development_values_are_named_and_no_others()
    {
        var options = new GatewayOptions
        {
            ApiKeys = new(StringComparer.OrdinalIgnoreCase) { ["0"] = "dev-only-api-key-not-a-secret", ["acme"] = "a-key-of-its-own-0123", ["2"] = "" },
        };

        Assert.Equal(["key-0"], Security.ApiKeyAudit.DevelopmentKeys(options));
    }
}

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

using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway.Tests;

/// <summary>What AddServiceDefaults writes to the console: JSON lines for collectors, plain lines in Development (./build.sh Dev).</summary>
public sealed class ConsoleLogFormatTests
{
    [Theory]
    [InlineData("Production", ConsoleFormatterNames.Json)]
    [InlineData("Staging", ConsoleFormatterNames.Json)]
    [InlineData("Development", ConsoleFormatterNames.Simple)]
    public async Task The_console_gets_json_lines_except_in_development(string environment, string formatter)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.AddServiceDefaults();
        await using var app = builder.Build();

        Assert.Equal(formatter, app.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
    }
}

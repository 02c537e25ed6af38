using Npgsql;

namespace AgentSystem.Store.Tests;

public sealed class ServiceRoleProblemTests
{
    [Theory]
    [InlineData("ab;cd=1", "may not hold ';'")]   // helper-81: accepted, then every service failed to read its connection string
    [InlineData("it's", "may not hold '''")]
    [InlineData("say \"hi\"", "may not hold '\"'")]
    [InlineData(" padded", "may not start or end with a space")]
    [InlineData("padded ", "may not start or end with a space")]
    [InlineData("pässword", "printable ASCII only")]
    public void A_password_a_connection_string_cannot_carry_as_pasted_is_refused_before_migrating(string password, string expected)
    {
        var problem = ServiceRole.Problem(new ServiceRoleOptions { ServiceRole = "agentsystem_service", ServicePassword = password }, "agentsystem");

        Assert.StartsWith("Migrate:ServicePassword ", problem, StringComparison.Ordinal);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("agentsystem-service")]
    [InlineData("a b=c,d!#$%&()*+-./:<>?@[\\]^_`{|}~")]
    public void Any_other_printable_ASCII_is_a_password_and_reaches_the_services_as_pasted(string password)
    {
        Assert.Equal("", ServiceRole.Problem(new ServiceRoleOptions { ServiceRole = "agentsystem_service", ServicePassword = password }, "agentsystem"));
        Assert.Equal(password, new NpgsqlConnectionStringBuilder($"Host=postgres;Username=agentsystem_service;Password={password};Maximum Pool Size=5").Password);
    }
}

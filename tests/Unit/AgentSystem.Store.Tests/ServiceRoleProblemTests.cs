using Npgsql;

namespace AgentSystem.Store.Tests;

public sealed class ServiceRoleProblemTests
{
    [Theory]
    [InlineData("ab;cd=1")]     // helper-81: accepted, then every service failed to read its connection string
    [InlineData("=ab")]         // helper-82: read as the start of an escaped '='
    [InlineData("'quoted'")]
    [InlineData("\"quoted\"")]
    [InlineData(" padded")]
    [InlineData("padded ")]
    public void A_password_a_connection_string_cannot_carry_as_pasted_is_refused_before_migrating(string password)
    {
        Assert.Equal(
            "Migrate:ServicePassword would not survive being pasted into a connection string, as Compose and the k8s base paste it into the services': a ';', a leading '=', or a quote or a space at either end breaks it or is dropped.",
            Problem(password));
    }

    [Theory]
    [InlineData("pässword")]
    [InlineData("password\n")]   // helper-82: a Secret made from a file; '$' matched before the newline
    public void A_password_outside_printable_ASCII_is_refused(string password)
    {
        Assert.StartsWith("Migrate:ServicePassword may hold printable ASCII only", Problem(password), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("agentsystem-service")]
    [InlineData("it's")]   // helper-82: quotes inside a value parse, and worked before; a deploy's next migrate must not refuse them
    [InlineData("a'b\"c")]
    [InlineData("a b=c,d!#$%&()*+-./:<>?@[\\]^_`{|}~")]
    public void Any_other_printable_ASCII_is_a_password_and_reaches_the_services_as_pasted(string password)
    {
        Assert.Equal("", Problem(password));
        Assert.Equal(password, new NpgsqlConnectionStringBuilder($"Host=postgres;Username=agentsystem_service;Password={password};Maximum Pool Size=5").Password);
    }

    [Fact]
    public void A_role_name_with_a_trailing_newline_is_not_a_plain_name()
    {
        Assert.StartsWith("Migrate:ServiceRole 'svc\n' is not a plain PostgreSQL name",
            ServiceRole.Problem(new ServiceRoleOptions { ServiceRole = "svc\n", ServicePassword = "x" }, "agentsystem"), StringComparison.Ordinal);
    }

    private static string? Problem(string password) =>
        ServiceRole.Problem(new ServiceRoleOptions { ServiceRole = "agentsystem_service", ServicePassword = password }, "agentsystem");
}

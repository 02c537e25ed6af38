using AgentSystem.Build.Tools;

namespace AgentSystem.Build.Tests;

/// <summary>helper-126: the README says Node 20, package.json needs 20.19.0, and nothing checked it before vite failed.</summary>
public sealed class NodeVersionTests
{
    private const string Package = """{ "name": "frontend", "engines": { "node": ">=20.19.0" } }""";

    [Theory]
    [InlineData("v20.20.2\n")]
    [InlineData("Using Node from .nvmrc\nv20.20.2\n")]   // a version manager's shim
    [InlineData("v20.19.0")]
    [InlineData("v22.1.0")]
    public void A_node_at_or_above_the_bound_passes(string installed) =>
        Assert.Null(NodeVersion.Problem(Package, installed, "services/frontend"));

    [Fact]
    public void A_node_below_the_bound_is_named_with_the_bound_and_where_it_comes_from()
    {
        Assert.Equal(
            "services/frontend needs Node >=20.19.0 (its package.json's engines), and the node on PATH is v20.10.0: install a newer Node (https://nodejs.org/en/download), then run this again.",
            NodeVersion.Problem(Package, "v20.10.0\n", "services/frontend"));
        Assert.NotNull(NodeVersion.Problem("""{ "engines": { "node": ">= 22" } }""", "v20.20.2", "x"));
    }

    [Theory]
    [InlineData("""{ "name": "no-engines" }""")]
    [InlineData("""{ "engines": { "node": "^20.19.0 || >=22.12.0" } }""")]   // a range npm judges
    [InlineData("not json")]
    [InlineData("""{ "engines": { "node": ">=99999999999" } }""")]   // no version at all
    public void Anything_but_a_lower_bound_is_left_to_npm(string packageJson) =>
        Assert.Null(NodeVersion.Problem(packageJson, "v18.0.0", "x"));
}

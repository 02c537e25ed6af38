using AgentSystem.Build.Docker;

namespace AgentSystem.Build.Tests;

public sealed class ImageSourceTests
{
    [Theory]
    [InlineData("https://github.com/owner/agentsystem.git", "https://github.com/owner/agentsystem")]
    [InlineData("https://github.com/owner/agentsystem\n", "https://github.com/owner/agentsystem")]
    [InlineData("https://x-access-token:ghs_secret@github.com/owner/agentsystem.git", "https://github.com/owner/agentsystem")]
    [InlineData("https://git.example.com:8443/team/agentsystem/", "https://git.example.com:8443/team/agentsystem")]
    [InlineData("git@github.com:owner/agentsystem.git", "https://github.com/owner/agentsystem")]
    [InlineData("ssh://git@git.example.com:2222/team/agentsystem.git", "https://git.example.com/team/agentsystem")]
    public void A_remote_on_a_server_becomes_its_web_address_without_credentials(string remote, string expected) =>
        Assert.Equal(expected, ImageSource.WebAddress(remote));

    [Theory]
    [InlineData("/work/main")]
    [InlineData("../agentsystem")]
    [InlineData("file:///work/main")]
    [InlineData("C:\\src\\agentsystem")]
    [InlineData("")]
    public void A_local_remote_has_no_web_address(string remote) =>
        Assert.Null(ImageSource.WebAddress(remote));
}

using AgentSystem.Build.Deploy;
using AgentSystem.Build.Kubernetes;
using k8s.Models;

namespace AgentSystem.Build.Tests;

public sealed class SmokeTestKeyTests
{
    [Fact]
    public void The_smoke_test_takes_the_first_key_by_place_passing_over_a_revoked_blank_one()
    {
        var deployment = new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "gateway" },
            Spec = new V1DeploymentSpec
            {
                Template = new V1PodTemplateSpec
                {
                    Spec = new V1PodSpec
                    {
                        Containers = [new V1Container { Name = "gateway", EnvFrom = [new V1EnvFromSource { SecretRef = new V1SecretEnvSource { Name = "gateway-api-keys-h4sh" } }] }],
                    },
                },
            },
        };
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "gateway-api-keys-h4sh" },
            StringData = new Dictionary<string, string>
            {
                ["Gateway__ApiKeys__0"] = "",
                ["Gateway__ApiKeys__10"] = "tenth",
                ["Gateway__ApiKeys__2"] = "second",
            },
        };

        var key = SmokeTest.ApiKey([new ManifestObject(deployment, "gateway.yaml", false), new ManifestObject(secret, "kustomization.yaml", true)]);

        Assert.Equal("second", key);
    }
}

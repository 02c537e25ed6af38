using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace AgentSystem.Gateway;

public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    [Required, Url]
    public string OrchestratorUrl { get; set; } = "";

    [Required, Url]
    public string ChatUrl { get; set; } = "";
}

// Source-generated DataAnnotations validation: no reflection, so it survives trimming.
[OptionsValidator]
public sealed partial class GatewayOptionsValidator : IValidateOptions<GatewayOptions>;

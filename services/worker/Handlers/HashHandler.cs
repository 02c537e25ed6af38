using System.Security.Cryptography;
using System.Text;
using AgentSystem.Contracts;

namespace AgentSystem.Worker.Handlers;

/// <summary>SHA-256 of the input's UTF-8 bytes, as lower-case hex.</summary>
public sealed class HashHandler : IJobHandler
{
    public string Type => JobTypes.Hash;

    public bool SideEffectFree => true;

    public Task<string> HandleAsync(JobMessage job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);
        return Task.FromResult(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(job.Input))));
    }
}

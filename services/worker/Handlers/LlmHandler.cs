using AgentSystem.Contracts;

namespace AgentSystem.Worker.Handlers;

/// <summary>Sends the input to the chat service as one user message; the result is the assistant's reply.</summary>
public sealed class LlmHandler(ChatClient chat) : IJobHandler
{
    public string Type => JobTypes.Llm;

    public Task<string> HandleAsync(JobMessage job, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(job);

        if (string.IsNullOrWhiteSpace(job.Input))
        {
            throw new JobInputException("llm needs a prompt: the input is empty.");
        }

        return chat.AskAsync(job.Input, ct);
    }
}

using AgentSystem.Chat.Model;
using AgentSystem.Chat.Providers;
using Microsoft.AspNetCore.Http.HttpResults;

namespace AgentSystem.Chat.Apis;

public static class ChatApi
{
    public static RouteGroupBuilder MapChatApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/chat").WithTags("Chat");
        api.MapPost("/", ChatAsync);
        return api;
    }

    public static async Task<Results<Ok<ChatResponse>, ProblemHttpResult>> ChatAsync(
        ChatRequest request, IChatProvider provider, CancellationToken cancellationToken)
    {
        var errors = ChatValidation.Validate(request);
        if (errors.Count > 0)
        {
            // 422, not the 400 of TypedResults.ValidationProblem: the JSON was well-formed, its content was not.
            return TypedResults.Problem(new HttpValidationProblemDetails(errors) { Status = StatusCodes.Status422UnprocessableEntity });
        }

        var messages = request.Messages!.Select(m => m!).ToList();
        var reply = await provider.CompleteAsync(messages, cancellationToken);
        return TypedResults.Ok(new ChatResponse(provider.Name, reply));
    }
}

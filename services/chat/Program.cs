using AgentSystem.Chat.Apis;
using AgentSystem.Chat.Extensions;
using AgentSystem.Chat.Storage;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

await using var app = builder.Build();

// `AgentSystem.Chat migrate`: apply the schema migrations and exit (a deploy's one-shot job), not at every start.
if (args is [ChatMigrator.Command, ..])
{
    return await app.MigrateAsync();
}

app.MapDefaultEndpoints();
app.MapChatApi();

await app.RunAsync();
return 0;

public partial class Program;

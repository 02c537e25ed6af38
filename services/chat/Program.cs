using AgentSystem.Chat.Apis;
using AgentSystem.Chat.Extensions;
using AgentSystem.Chat.Storage;
using AgentSystem.ServiceDefaults;
using AgentSystem.Store;

// `dotnet AgentSystem.Chat.dll migrate`: apply chat's migrations and exit (a deploy's one-shot job), as the
// orchestrator's does. The service never migrates at a normal start.
if (MigrateCommand.IsRequested(args))
{
    return await MigrateCommand.RunAsync(args, static builder => builder.AddChatMigrator());
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

await using var app = builder.Build();

app.MapDefaultEndpoints();
app.UseInternalKey();
app.MapChatApi();

await app.RunAsync();
return 0;

public partial class Program;

using AgentSystem.Orchestrator.Apis;
using AgentSystem.Orchestrator.Extensions;
using AgentSystem.Orchestrator.Migrations;

// `dotnet AgentSystem.Orchestrator.dll migrate`: apply the schema migrations and exit (a deploy's one-shot job).
// The service never migrates at a normal start.
if (MigrateCommand.IsRequested(args))
{
    return await MigrateCommand.RunAsync(args);
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

await using var app = builder.Build();

app.MapDefaultEndpoints();
app.MapTasksApi();

await app.RunAsync();
return 0;

public partial class Program;

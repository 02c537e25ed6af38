using AgentSystem.Orchestrator.Apis;
using AgentSystem.Orchestrator.Extensions;
using AgentSystem.ServiceDefaults;
using AgentSystem.Store;

// `dotnet AgentSystem.Orchestrator.dll migrate`: apply the task store's migrations and exit (a deploy's one-shot job).
// The service never migrates at a normal start.
if (MigrateCommand.IsRequested(args))
{
    return await MigrateCommand.RunAsync(args, static builder => builder.AddStore());
}

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

await using var app = builder.Build();

app.MapDefaultEndpoints();
app.UseInternalKey();
app.MapTasksApi();

await app.RunAsync();
return 0;

public partial class Program;

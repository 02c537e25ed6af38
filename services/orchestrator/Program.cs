using AgentSystem.Orchestrator.Apis;
using AgentSystem.Orchestrator.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapTasksApi();

app.Run();

public partial class Program;

using AgentSystem.Worker.Apis;
using AgentSystem.Worker.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddJobQueue();
builder.AddStore();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapMetricsApi();

app.Run();

public partial class Program;

using AgentSystem.Worker.Apis;
using AgentSystem.Worker.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapMetricsApi();

app.Run();

public partial class Program;

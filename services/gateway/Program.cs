using AgentSystem.Gateway.Apis;
using AgentSystem.Gateway.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.UseGatewayPipeline();
app.MapInfoApi();
app.MapProxyApi();

app.Run();

public partial class Program;

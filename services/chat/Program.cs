using AgentSystem.Chat.Apis;
using AgentSystem.Chat.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapChatApi();

app.Run();

public partial class Program;

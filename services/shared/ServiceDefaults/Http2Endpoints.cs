using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentSystem.ServiceDefaults;

/// <summary>
/// Addresses a service answers in HTTP/2 only, without TLS (h2c with prior knowledge: what the gateway speaks to the
/// orchestrator, many requests on one connection). Kestrel cannot tell HTTP/2 from HTTP/1.1 on a cleartext address, so
/// these are addresses of their own beside <c>Urls</c>, which keep HTTP/1.1 for probes, metrics and people.
/// </summary>
public static class Http2Endpoints
{
    /// <summary>The setting: addresses separated by ';' as in <c>Urls</c> (environment: <c>Http2OnlyUrls</c>).</summary>
    public const string Key = "Http2OnlyUrls";

    /// <summary>
    /// With <see cref="Key"/> set, Kestrel listens on <c>Urls</c> and on these. Kestrel ignores <c>Urls</c> once any
    /// address is given in code, so both are given here.
    /// </summary>
    public static void Add(IHostApplicationBuilder builder)
    {
        if (Addresses(builder.Configuration[Key]).Count == 0)
        {
            return;
        }

        builder.Services.Configure<KestrelServerOptions>(kestrel =>
        {
            foreach (var url in Addresses(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
            {
                Listen(kestrel, url, HttpProtocols.Http1AndHttp2);
            }

            foreach (var url in Addresses(builder.Configuration[Key]))
            {
                Listen(kestrel, url, HttpProtocols.Http2);
            }
        });
    }

    public static IReadOnlyList<string> Addresses(string? urls) =>
        (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>As Kestrel binds an address of <c>Urls</c>: localhost on both loopbacks, an IP on itself, any other host on every address.</summary>
    public static void Listen(KestrelServerOptions kestrel, string url, HttpProtocols protocols)
    {
        var address = Parse(url);
        if (string.Equals(address.Host, "localhost", StringComparison.OrdinalIgnoreCase))
        {
            kestrel.ListenLocalhost(address.Port, listen => listen.Protocols = protocols);
        }
        else if (IPAddress.TryParse(address.Host, out var ip))
        {
            kestrel.Listen(ip, address.Port, listen => listen.Protocols = protocols);
        }
        else
        {
            kestrel.ListenAnyIP(address.Port, listen => listen.Protocols = protocols);
        }
    }

    private static BindingAddress Parse(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException error)
        {
            throw new InvalidOperationException($"'{url}' (in Urls or {Key}) is no address such as http://0.0.0.0:8001: {error.Message}", error);
        }

        // Certificates are not configured here; TLS ends before the services (an ingress, a mesh) where it is used.
        return address.Scheme == "http" && !address.IsUnixPipe
            ? address
            : throw new InvalidOperationException($"'{url}' (in Urls or {Key}): only http://HOST:PORT addresses are supported beside {Key}.");
    }
}

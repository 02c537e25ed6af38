using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AgentSystem.ServiceDefaults;

/// <summary>
/// A port a service answers in HTTP/2 only, without TLS (h2c with prior knowledge: what the gateway speaks to the
/// orchestrator, many requests on one connection), on the hosts of its <c>Urls</c>, which keep HTTP/1.1 for probes,
/// metrics and people. Kestrel cannot tell HTTP/2 from HTTP/1.1 on a cleartext address, hence a port of its own.
/// </summary>
public static class Http2Endpoints
{
    /// <summary>The setting (environment: <c>Http2Port</c>); unset or 0, none.</summary>
    public const string Key = "Http2Port";

    /// <summary>
    /// With <see cref="Key"/> set, Kestrel listens on <c>Urls</c> in HTTP/1.1 and on that port of each of their hosts in
    /// HTTP/2. Kestrel binds only what code gives it once code gives anything, so the <c>Urls</c> are given here too.
    /// </summary>
    public static void Add(IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var port = builder.Configuration.GetValue<int?>(Key) ?? 0;
        if (port == 0)
        {
            return;
        }

        if (port is < 0 or > IPEndPoint.MaxPort)
        {
            throw new InvalidOperationException($"{Key} must be a port (1 to {IPEndPoint.MaxPort}), or 0 for none: it is {port}.");
        }

        var urls = Addresses(builder.Configuration[WebHostDefaults.ServerUrlsKey]).Select(Parse).ToList();
        if (urls.Count == 0)
        {
            throw new InvalidOperationException($"{Key} is the HTTP/2 port beside the addresses of Urls, and Urls is empty.");
        }

        builder.Services.Configure<KestrelServerOptions>(kestrel =>
        {
            foreach (var url in urls)
            {
                Listen(kestrel, url.Host, url.Port, HttpProtocols.Http1);
            }

            foreach (var host in Http2Hosts(urls.Select(url => url.Host)))
            {
                Listen(kestrel, host, port, HttpProtocols.Http2);
            }
        });
        builder.Services.AddTransient<IStartupFilter>(_ => new Http2PortStartup(port));
    }

    /// <summary>
    /// The hosts to give the one HTTP/2 port, no address twice (binding a port again where it is bound fails): every
    /// address (a host name, *, +, [::]) covers all others, 0.0.0.0 the other IPv4 ones, localhost 127.0.0.1 and ::1.
    /// Hosts are compared by the address they name: [::1] and [0:0:0:0:0:0:0:1] are one.
    /// </summary>
    public static IReadOnlyList<string> Http2Hosts(IEnumerable<string> hosts)
    {
        IPAddress? Ip(string host) => IsLocalhost(host) ? null : IPAddress.TryParse(host, out var ip) ? ip : null;
        var distinct = hosts.DistinctBy(host => Ip(host)?.ToString() ?? host.ToUpperInvariant()).ToList();
        if (distinct.FirstOrDefault(host => !IsLocalhost(host) && (Ip(host) is not { } ip || ip.Equals(IPAddress.IPv6Any))) is { } every)
        {
            return [every];
        }

        var anyIPv4 = distinct.Any(host => IPAddress.Any.Equals(Ip(host)));
        var localhost = distinct.Any(IsLocalhost);
        var kept = new List<string>();
        foreach (var host in distinct)
        {
            if (Ip(host) is not { } ip)
            {
                kept.Add(anyIPv4 ? "[::1]" : host); // localhost: 0.0.0.0 has its IPv4 loopback
            }
            else if (!(anyIPv4 && ip.AddressFamily == AddressFamily.InterNetwork && !ip.Equals(IPAddress.Any))
                && !(localhost && (ip.Equals(IPAddress.Loopback) || ip.Equals(IPAddress.IPv6Loopback))))
            {
                kept.Add(host);
            }
        }

        return kept;
    }

    public static IReadOnlyList<string> Addresses(string? urls) =>
        (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>As Kestrel binds an address of <c>Urls</c>: localhost on both loopbacks, an IP on itself, any other host on every address.</summary>
    private static void Listen(KestrelServerOptions kestrel, string host, int port, HttpProtocols protocols)
    {
        if (IsLocalhost(host))
        {
            kestrel.ListenLocalhost(port, listen => listen.Protocols = protocols);
        }
        else if (IPAddress.TryParse(host, out var ip))
        {
            kestrel.Listen(ip, port, listen => listen.Protocols = protocols);
        }
        else
        {
            kestrel.ListenAnyIP(port, listen => listen.Protocols = protocols);
        }
    }

    private static bool IsLocalhost(string host) => string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase);

    private static BindingAddress Parse(string url)
    {
        BindingAddress address;
        try
        {
            address = BindingAddress.Parse(url);
        }
        catch (FormatException error)
        {
            throw new InvalidOperationException($"'{url}' in Urls is no address such as http://0.0.0.0:8000: {error.Message}", error);
        }

        // Certificates are not configured here; TLS ends before the services (an ingress, a mesh) where it is used.
        return string.Equals(address.Scheme, "http", StringComparison.OrdinalIgnoreCase) && !address.IsUnixPipe && !address.IsNamedPipe
               && address.PathBase.Length == 0
            ? address
            : throw new InvalidOperationException($"'{url}' in Urls: beside {Key}, only http://HOST:PORT addresses are supported.");
    }

    private sealed class Http2PortStartup(int port) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            // The host has put the Urls among the server's addresses by now; bound above, they would be logged as
            // "overridden" at every start.
            if (app.ServerFeatures.Get<IServerAddressesFeature>()?.Addresses is { IsReadOnly: false } addresses)
            {
                addresses.Clear();
            }

            // One connection carries every request of a gateway, and Kestrel holds an HTTP/2 connection as a whole to
            // its minimum request body rate: one slow client would close it under all of them. The gateway holds its
            // clients to that rate and cancels their streams here, so this port's requests are not held to it again
            // (a body must still arrive whole within JsonBody.ArrivalTimeout).
            app.Use((context, nextMiddleware) =>
            {
                if (context.Connection.LocalPort == port && HttpProtocol.IsHttp2(context.Request.Protocol)
                    && context.Features.Get<IHttpMinRequestBodyDataRateFeature>() is { } rate)
                {
                    rate.MinDataRate = null;
                }

                return nextMiddleware(context);
            });
            next(app);
        };
    }
}

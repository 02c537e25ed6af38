using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace AgentSystem.Gateway.Infrastructure;

/// <summary>
/// Data protection's key ring, kept in memory. The gateway protects nothing with it, yet DataProtection makes a key
/// at start; by default it was written to ~/.aspnet/DataProtection-Keys, a file Dev left in the user's home.
/// </summary>
internal sealed class InMemoryKeyRepository : IXmlRepository
{
    private readonly List<XElement> _elements = [];

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        lock (_elements)
        {
            return [.. _elements];
        }
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        lock (_elements)
        {
            _elements.Add(element);
        }
    }
}

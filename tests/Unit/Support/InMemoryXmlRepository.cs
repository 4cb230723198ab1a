using System.Collections.ObjectModel;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace IdentityTwoFactor.Tests.Unit.Support;

/// <summary>A key ring held in memory: what an attacker holding a copy of the DataProtectionKeys rows has.</summary>
public sealed class InMemoryXmlRepository(IEnumerable<XElement> elements) : IXmlRepository
{
    private readonly List<XElement> _elements = [.. elements];

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        lock (_elements)
        {
            return new ReadOnlyCollection<XElement>(_elements.Select(e => new XElement(e)).ToList());
        }
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        lock (_elements)
        {
            _elements.Add(new XElement(element));
        }
    }
}

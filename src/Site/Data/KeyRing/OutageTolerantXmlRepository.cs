using System.Xml.Linq;
using IdentityTwoFactor.Data.Outage;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace IdentityTwoFactor.Data.KeyRing;

/// <summary>
/// The key ring's repository in the database, remembering the last elements it read: when Data Protection refreshes the
/// key ring during a database outage it gets those instead of an error, so pages that need no database (their forms'
/// antiforgery tokens, reading the cookies) keep working once the ring has been read. Storing a new key still needs the
/// database.
/// </summary>
public sealed class OutageTolerantXmlRepository(IXmlRepository inner) : IXmlRepository
{
    private volatile IReadOnlyCollection<XElement>? _last;

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        try
        {
            var elements = inner.GetAllElements().ToList();
            _last = elements;
            return elements;
        }
        catch (Exception e) when (_last is { } last && DatabaseOutage.Classify(e) is not null)
        {
            return last;
        }
    }

    public void StoreElement(XElement element, string friendlyName) => inner.StoreElement(element, friendlyName);
}

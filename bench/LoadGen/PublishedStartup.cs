namespace IdentityTwoFactor.Bench.LoadGen;

/// <summary>H for the published builds (ReadyToRun): the site on a fresh and on an existing database, the stock app on
/// a copy of its template's app.db.</summary>
internal sealed record PublishedStartup(List<double> SiteFreshMs, List<double> SiteExistingMs, List<double> StockMs)
{
    public bool Measured => SiteExistingMs.Count > 0 && StockMs.Count > 0;
}

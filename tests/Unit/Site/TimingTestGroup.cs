namespace IdentityTwoFactor.Tests.Unit.Site;

/// <summary>Tests that compare timings run alone, after the parallel ones: other tests' work on the same two cores
/// would otherwise land on one side of a comparison.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingTestGroup
{
    public const string Name = "Timing";
}

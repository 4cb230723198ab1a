using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using IdentityTwoFactor.Codes;
using IdentityTwoFactor.Identity;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace IdentityTwoFactor.Bench.Micro;

/// <summary>Code generation and validation as the site does them (RandomCodeGenerator, the library's SmsCodeHasher under the
/// site's key from CodeHasher, FixedTimeEquals).</summary>
[MemoryDiagnoser]
public class CodeBenchmarks
{
    private const string UserId = "3f2b8c1e-5d4a-4e7b-9c1d-2a6f8e0b7c35";
    private const string Phone = "+16502530000";
    private readonly RandomCodeGenerator _generator = new();
    private SmsCodeHasher _hasher = null!;
    private byte[] _stored = [];
    private string _code = "";

    [GlobalSetup]
    public void Setup()
    {
        var options = Options.Create(new TwoFactorOptions { CodeHashKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)) });
        _hasher = new CodeHasher(options, new BenchEnvironment()).Codes;
        _code = _generator.NewCode();
        _stored = _hasher.Hash(UserId, CodePurposes.Unlock, Phone, _code);
    }

    [Benchmark]
    public string NewCode() => _generator.NewCode();

    [Benchmark]
    public byte[] HashCode() => _hasher.Hash(UserId, CodePurposes.Unlock, Phone, _code);

    /// <summary>What checking a typed code costs: well-formedness, keyed hash, constant-time compare.</summary>
    [Benchmark]
    public bool ValidateCode() =>
        SmsCodeHasher.IsWellFormed(_code) && CryptographicOperations.FixedTimeEquals(_hasher.Hash(UserId, CodePurposes.Unlock, Phone, _code), _stored);

    [Benchmark]
    public bool ValidateWrongCode() =>
        SmsCodeHasher.IsWellFormed("000000") && CryptographicOperations.FixedTimeEquals(_hasher.Hash(UserId, CodePurposes.Unlock, Phone, "000000"), _stored);
}

internal sealed class BenchEnvironment : IHostEnvironment
{
    public string EnvironmentName { get; set; } = "Benchmark";
    public string ApplicationName { get; set; } = "IdentityTwoFactor.Bench.Micro";
    public string ContentRootPath { get; set; } = Path.GetTempPath();
    public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
}

#!/usr/bin/env bash
# BenchmarkDotNet micro-benchmarks (code generation/validation, the store's atomic failure counter).
# Extra arguments go to BenchmarkDotNet, e.g.: bash bench/micro.sh --filter '*Code*'
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build bench/Micro/Micro.csproj -c Release -nologo -v q -clp:NoSummary
mkdir -p bench/results
dotnet bench/Micro/bin/Release/net10.0/IdentityTwoFactor.Bench.Micro.dll "$@" | tee bench/results/micro.txt

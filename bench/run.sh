#!/usr/bin/env bash
# One command: build and publish (ReadyToRun) the site and a stock `dotnet new webapp --auth Individual` app (Release),
# run the load generator against both on 127.0.0.1, print the table and write it to bench/results/latest.md.
# Extra arguments go to the load generator, e.g.: bash bench/run.sh --duration 5 --repeats 1
# `bash bench/run.sh --engines` (or --engines sqlite,postgres): the site on SQLite and on a throwaway PostgreSQL cluster
# side by side instead (no stock app; B, D, F, H; about 5 min); table in bench/results/engines.md.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
results="$repo/bench/results"
mkdir -p "$results/logs"
start=$(date +%s)

# --engines alone means both engines; it needs no stock app.
args=() engines=""
while (( $# )); do
  if [[ "$1" == "--engines" ]]; then
    if [[ $# -gt 1 && "$2" != --* ]]; then engines="$2"; shift; else engines="sqlite,postgres"; fi
  else
    args+=("$1")
  fi
  shift
done

echo "== build site and load generator (Release)"
dotnet build src/Site/Site.csproj -c Release -nologo -v q -clp:NoSummary
dotnet build bench/LoadGen/LoadGen.csproj -c Release -nologo -v q -clp:NoSummary

if [[ -n "$engines" ]]; then
  echo "== load test, engines: $engines"
  dotnet "bench/LoadGen/bin/Release/net10.0/IdentityTwoFactor.Bench.LoadGen.dll" \
    --repo "$repo" --engines "$engines" --out "$results/engines.md" ${args[@]+"${args[@]}"}
  echo "== done in $(( $(date +%s) - start )) s; table in bench/results/engines.md"
  exit 0
fi

# The stock app lives outside the repo so the repo's Directory.Build.props / Directory.Packages.props / global.json
# do not apply. Its package versions are pinned to the ones the site uses.
stock="$(mktemp -d "${TMPDIR:-/tmp}/itf-stock-XXXXXX")"
published="$(mktemp -d "${TMPDIR:-/tmp}/itf-site-publish-XXXXXX")"
trap 'rm -rf "$stock" "$published"' EXIT

# H also measures both apps as deployed: the site with the README's publish command (ReadyToRun), the stock app
# published the same way (ReadyToRun, framework-dependent, the same runtime identifier).
rid="$(dotnet msbuild src/Site/Site.csproj -getProperty:NETCoreSdkPortableRuntimeIdentifier)"
echo "== publish site (dotnet publish src/Site -c Release: ReadyToRun, $rid)"
dotnet publish src/Site/Site.csproj -c Release -o "$published" -nologo -v q -clp:NoSummary
version="$(sed -n 's:.*<AspNetCoreVersion>\(.*\)</AspNetCoreVersion>.*:\1:p' Directory.Packages.props)"
echo "== generate stock app in $stock (packages pinned to $version)"
(
  cd "$stock"
  dotnet new webapp --auth Individual --name StockApp --output . --no-restore >/dev/null
  sed -i -E "s/(Include=\"Microsoft\.[A-Za-z.]+\" Version=)\"[^\"]+\"/\1\"$version\"/" StockApp.csproj
  dotnet build -c Release -nologo -v q -clp:NoSummary
  dotnet publish -c Release -r "$rid" --self-contained false -p:PublishReadyToRun=true -o publish -nologo -v q -clp:NoSummary
)
grep -o 'Include="[^"]*" Version="[^"]*"' "$stock/StockApp.csproj" | sed 's/^/   stock: /'

echo "== load test"
dotnet "bench/LoadGen/bin/Release/net10.0/IdentityTwoFactor.Bench.LoadGen.dll" \
  --repo "$repo" --stock-dir "$stock" --out "$results/latest.md" \
  --site-published-dll "$published/IdentityTwoFactor.Site.dll" --stock-published-dll "$stock/publish/StockApp.dll" ${args[@]+"${args[@]}"}
echo "== done in $(( $(date +%s) - start )) s; table in bench/results/latest.md"

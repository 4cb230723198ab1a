#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian machine that has only the .NET SDK:
# installs Debian's Chromium for the browser tests when it is missing, builds, runs the unit and
# end-to-end suites, and ends with one line "N passed, N failed" counted from the TRX results.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-test-deps.sh

results="TestResults"
rm -rf "$results/trx"
status=0

# The nginx test runs the site as it is deployed: published with the README's command (ReadyToRun).
published="$results/publish/site"
rm -rf "$published"
dotnet publish src/Site --configuration Release --output "$published" -nologo -v q -clp:NoSummary
export ITF_PUBLISHED_SITE="$PWD/$published"
dotnet test IdentityTwoFactor.sln --configuration Release \
    --logger "trx" --logger "console;verbosity=normal" --results-directory "$results/trx" || status=$?

passed=0; failed=0; skipped=0
shopt -s nullglob
trx_files=("$results"/trx/*.trx)
for trx in "${trx_files[@]}"; do
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
    e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
    skipped=$((skipped + ${t:-0} - ${e:-0}))
done
if [ "${#trx_files[@]}" -eq 0 ]; then
    echo "No test results were written (the build failed?)." >&2
    status=1
fi
if [ "$failed" -gt 0 ]; then status=1; fi
if [ "$passed" -eq 0 ]; then status=1; fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"

#!/usr/bin/env bash
# Long fuzzing run: the Fuzzing tests with FUZZ_ITERATIONS inputs per target (default one
# million) from FUZZ_SEED (default: a new random seed, printed so a failure can be replayed).
# The normal suite runs the same tests with 10 000 inputs and a fixed seed.
#   scripts/fuzz.sh                     # 1e6 per target, random seed
#   FUZZ_ITERATIONS=5000000 FUZZ_SEED=42 scripts/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export FUZZ_ITERATIONS="${FUZZ_ITERATIONS:-1000000}"
export FUZZ_SEED="${FUZZ_SEED:-$(( (RANDOM << 15 | RANDOM) + 1 ))}"
echo "fuzz.sh: FUZZ_ITERATIONS=$FUZZ_ITERATIONS FUZZ_SEED=$FUZZ_SEED" >&2
start=$(date +%s)
dotnet test tests/ConnExporter.Tests -c Release --nologo \
  --filter "FullyQualifiedName~ConnExporter.Tests.Fuzzing" \
  --logger "console;verbosity=normal" "$@"
echo "fuzz.sh: done in $(( $(date +%s) - start )) s (seed $FUZZ_SEED)" >&2

#!/usr/bin/env bash
# Set up, then build every asset of the bundled sample instance through Dagster and show
# the evaluation table and one example retrieval. State goes to ./.deepcodeseek and the
# Dagster run history to ./.dagster_home (open it with `dagster dev`, see README).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export DAGSTER_HOME="${DAGSTER_HOME:-$PWD/.dagster_home}"
mkdir -p "$DAGSTER_HOME"
[ -f "$DAGSTER_HOME/dagster.yaml" ] || cp deploy/dagster.yaml "$DAGSTER_HOME/dagster.yaml"
export HF_HUB_OFFLINE=1
exec .venv/bin/deepcodeseek demo

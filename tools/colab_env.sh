#!/usr/bin/env bash
# make test-colab: run the course in a second virtual environment with Colab's
# preinstalled versions (tools/colab-versions.txt), installing dlmath the way the
# Colab setup cell does (pip, from the git repository, dependencies resolved
# against what is already there), then run — errors only, no output comparison —
# the chapter notebooks, the solution notebooks and the widget tests.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
VENV=.venv-colab
PY=$VENV/bin/python
STAMP=$VENV/.installed-stamp

if [ ! -f "$STAMP" ] || [ tools/colab-versions.txt -nt "$STAMP" ]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$PY" -m pip install --quiet --upgrade pip
  # 1. What Colab has preinstalled.
  "$PY" -m pip install --quiet -r tools/colab-versions.txt
  # 2. What drives the tests here (Colab needs none of it).
  "$PY" -m pip install --quiet "pytest==9.2.0" "nbval==0.11.0" "nbclient==0.11.0" "nbformat==5.11.1" "pytest-timeout==2.4.0" "PyYAML==6.0.4"
  touch "$STAMP"
fi

# 3. dlmath exactly as the Colab setup cell installs it: pip from the repository
#    (here the local clone's committed HEAD instead of GitHub).
"$PY" -m pip freeze > "$VENV/before.txt"
"$PY" -m pip uninstall --quiet --yes dlmath 2>/dev/null || true
"$PY" -m pip install --quiet --no-cache-dir "dlmath @ git+file://$ROOT@$(git rev-parse HEAD)"
"$PY" -m pip freeze > "$VENV/after.txt"

# 4. Installing dlmath must not change any of Colab's preinstalled versions.
"$PY" - <<'PY'
import re, sys
def read(path):
    pins = {}
    for line in open(path):
        match = re.match(r"([A-Za-z0-9_.\-]+)==(\S+)", line.strip())
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(2)
    return pins
before, after = read(".venv-colab/before.txt"), read(".venv-colab/after.txt")
wanted = read("tools/colab-versions.txt")
changed = {name: (before.get(name), after.get(name)) for name in wanted if before.get(name) != after.get(name)}
if changed:
    sys.exit(f"installing dlmath changed Colab's packages: {changed}")
print("dlmath installed; Colab's versions untouched:", ", ".join(f"{n} {after[n]}" for n in wanted if n in after))
PY

# 5. The ipython config that keeps TensorFlow's C++ log lines out of outputs is
#    not needed here (no comparison), so the kernels run as Colab's would.
cd "$ROOT"  # pytest (not python -m pytest): dlmath is imported from the installed copy
"$VENV/bin/pytest" -p no:cacheprovider -q --nbval-lax --nbval-current-env --nbval-cell-timeout 600 \
  notebooks solutions
"$VENV/bin/pytest" -p no:cacheprovider -q tests/test_widgets.py tests/test_checks.py

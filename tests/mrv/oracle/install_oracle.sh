#!/usr/bin/env bash
# Create the test-only oracle virtualenv (.venv-oracle at the worktree top) holding eemeter 3.2.0.
# Idempotent: does nothing when the venv already imports eemeter 3.2.0.
# eemeter 3.2.0 is NOT a runtime dependency: it is only the reference the CalTRACK tests compare against.
# It needs pandas 2.2 (3.x breaks it), pytz, and setuptools (it imports pkg_resources).
set -euo pipefail
top="$(cd "$(dirname "$0")/../../.." && pwd)"
venv="${ORACLE_VENV:-$top/.venv-oracle}"
py="$venv/bin/python"
if [[ -x "$py" ]] && "$py" -c 'import eemeter, sys; sys.exit(eemeter.__version__ != "3.2.0")' 2>/dev/null; then
    exit 0
fi
echo "==> eemeter 3.2.0 oracle virtualenv $venv"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --upgrade pip
"$venv/bin/pip" install --quiet "eemeter==3.2.0" "pandas>=2.2,<2.3" pytz "setuptools<81"
"$py" -c 'import eemeter; assert eemeter.__version__ == "3.2.0", eemeter.__version__'

#!/usr/bin/env bash
# Install what the tests need (Python packages, and Debian's chromium and nginx when they are
# missing) and run every test: lint, unit, CLI, AppTest and the real browser.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt

if ! command -v chromium >/dev/null 2>&1; then
    echo "Installing Debian's chromium for the browser tests …"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null
fi
# nginx for the deployment example (tests/test_deploy.py runs deploy/nginx.conf); Debian
# keeps it in /usr/sbin, which a user's PATH may lack.
if ! command -v nginx >/dev/null 2>&1 && ! test -x /usr/sbin/nginx; then
    echo "Installing Debian's nginx for the deployment tests …"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
fi

.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
# Types: the library strictly, the Streamlit side in mypy's default mode.
.venv/bin/python -m mypy --strict slcore
.venv/bin/python -m mypy ui views app.py
exec .venv/bin/python -m pytest "$@"

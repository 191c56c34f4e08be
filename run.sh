#!/usr/bin/env bash
# Install what the dashboard needs (once) and start it on http://localhost:8501.
# On first start an empty machine gets the demo municipality in data/slcore.duckdb.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
exec .venv/bin/python -m streamlit run app.py "$@"

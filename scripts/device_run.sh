#!/usr/bin/env bash
# The gpu study on a device machine, in one command (see scripts/device_run.py for what it does).
#
#   here, once:   python scripts/device_run.py --prepare      (MNIST, its classifier, small wheels)
#   device tool:  run(command="bash scripts/device_run.sh", timeout_s=600,
#                     carry=[".cache/ganlib/data", ".cache/ganlib/classifiers", ".whl"])
#
# The machine's own Python and torch are used as they are (nothing is reinstalled); wheels carried in
# .whl/ are unpacked with --no-deps into .whl/site, which ganlib's entry point puts after the machine's
# own packages, so only missing modules come from there.  ganlib runs from this source tree.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if compgen -G ".whl/*.whl" >/dev/null; then
  rm -rf .whl/site
  if "$PY" -m pip --version >/dev/null 2>&1; then
    "$PY" -m pip install --quiet --no-deps --no-index --no-compile --target .whl/site .whl/*.whl
  else  # no pip: a wheel is a zip archive
    for w in .whl/*.whl; do "$PY" -m zipfile -e "$w" .whl/site; done
  fi
fi
export GANLIB_DATA=${GANLIB_DATA:-$PWD/.cache/ganlib/data}
export GANLIB_CACHE=${GANLIB_CACHE:-$PWD/.cache/ganlib}
export MPLBACKEND=Agg
exec "$PY" scripts/device_run.py --out "${OUT:-runs/device}" "$@"

#!/usr/bin/env bash
# Every performance figure of the closing note, in one go (about 10-15 minutes on 2 idle cores):
# concurrency with and without the thread budget (and with a passive wait policy), step times and bf16
# speed-up with the roofline, and the paired bf16/fp32 equivalence check.  Outputs: runs/performance/*.txt
#
#   bash benchmarks/performance.sh            # SMALL=1 for a quick check of the script itself
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
OUTDIR=runs/performance
mkdir -p "$OUTDIR"
unset OMP_NUM_THREADS OPENBLAS_NUM_THREADS MKL_NUM_THREADS OMP_WAIT_POLICY GOMP_SPINCOUNT
if [ "${SMALL:-0}" = 1 ]; then
  LONE_PAIRS=${LONE_PAIRS:-2}; C="--seconds 1 --warmup 1.5 --width 32"; S="--iters 1 --rounds 1 --gemm 256 --width 8"
  E="--seeds 2 --toy-iters 4 --mnist-iters 2 --evals 1 --out $OUTDIR/bf16_small"
else
  C="--seconds 10 --warmup 3"; S="--iters 3 --rounds 3"; E="--out $OUTDIR/bf16"
fi
"$PY" benchmarks/concurrency.py $C --without-budget --lone-pairs ${LONE_PAIRS:-8} | tee "$OUTDIR/concurrency.txt"
"$PY" benchmarks/concurrency.py $C --env OMP_WAIT_POLICY=PASSIVE | tee "$OUTDIR/concurrency_passive.txt"
"$PY" benchmarks/step_time.py $S --precisions fp32 | tee "$OUTDIR/step_time.txt"
# bf16 where the CPU has no native bf16 is slow: the speed-up on icvp alone, few iterations
"$PY" benchmarks/step_time.py --iters 1 --rounds 2 --methods icvp --precisions fp32,bf16 | tee "$OUTDIR/step_time_bf16.txt"
"$PY" benchmarks/bf16_equivalence.py $E | tee "$OUTDIR/bf16_equivalence.txt"

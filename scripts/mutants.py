"""A small mutation check: would the tests catch the bugs that matter?

    python scripts/mutants.py [--only NAME,NAME] [--list]

Each mutant is a realistic one-line bug (or two) applied to a temporary copy of the repository; the
tests named for it then run against the copy (``PYTHONPATH`` points at it).  A mutant is *caught* when
those tests fail.  First every test selection runs once unmutated and must pass, so that a failure means
the bug was seen.  Prints caught/missed per mutant; exits 1 if any mutant is missed (or a baseline fails).
Not part of the default test run: it takes minutes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPY = ("ganlib", "tests", "pyproject.toml")

# name, file, [(old, new), ...], pytest arguments
MUTANTS = [
    ("penalty norm over the whole batch", "ganlib/methods.py",
     [(".flatten(1).pow(2).sum(1)", ".flatten(1).pow(2).sum()")], ["tests/test_methods.py"]),
    ("one-sided penalty", "ganlib/methods.py",
     [("(norms - 1.0).pow(2).mean()", "(norms - 1.0).clamp(min=0).pow(2).mean()")], ["tests/test_methods.py"]),
    ("EMA beta swapped", "ganlib/methods.py",
     [("self.beta * self.d + (1.0 - self.beta) * w_t", "(1.0 - self.beta) * self.d + self.beta * w_t")],
     ["tests/test_methods.py"]),
    ("d_ref updated during warm-up", "ganlib/methods.py",
     [("        if self.t < self.warmup:\n            r_t = 1.0\n",
       "        if self.t < self.warmup:\n            self.d_ref = self.d if self.d_ref is None else "
       "_maximum(self.d_ref, self.d)\n            r_t = 1.0\n")], ["tests/test_methods.py"]),
    # ICVP's relatives (ganlib/relatives.py): one realistic bug each
    ("wgan-lp: one-sided penalty made two-sided", "ganlib/relatives.py",
     [("(norms - 1.0).clamp(min=0.0).pow(2).mean()", "(norms - 1.0).pow(2).mean()")], ["tests/test_relatives.py"]),
    ("dragan: perturbs the fakes", "ganlib/relatives.py",
     [("return perturbed_real(real, DRAGAN_SCALE, generator)", "return perturbed_real(fake, DRAGAN_SCALE, generator)")],
     ["tests/test_relatives.py"]),
    ("r1: penalty on the fakes", "ganlib/relatives.py",
     [("    def points(self, real, fake, generator=None):\n        return real\n",
       "    def points(self, real, fake, generator=None):\n        return fake\n")], ["tests/test_relatives.py"]),
    ("zero-gp: centred at 1", "ganlib/relatives.py",
     [("        return zero_centred_penalty(critic, x_hat)\n", "        return gradient_penalty(critic, x_hat)\n")],
     ["tests/test_relatives.py"]),
    ("agp: controller sign flipped", "ganlib/relatives.py",
     [("e = mean_norm.detach().double() - self.target", "e = self.target - mean_norm.detach().double()"),
      ("e = float(mean_norm) - self.target", "e = self.target - float(mean_norm)")], ["tests/test_relatives.py"]),
    ("agp: no anti-windup", "ganlib/relatives.py",
     [("self.integral = min(max(self.integral + e, self.i_lo), self.i_hi)", "self.integral = self.integral + e")],
     ["tests/test_relatives.py"]),
    ("global RNG not restored on resume", "ganlib/train.py",
     [('        torch.set_rng_state(s["rng"].cpu())\n', "")], ["tests/test_train.py", "-k", "resume"]),
    ("data stream not restored on resume", "ganlib/train.py",
     [('        self.data_rng.set_state(s["data_rng"].cpu())\n', "")], ["tests/test_train.py", "-k", "resume"]),
    ("data drawn from the global RNG (pairing lost)", "ganlib/train.py",
     [('self.data.sample(self.cfg.batch_size, "cpu", self.data_rng)', 'self.data.sample(self.cfg.batch_size, "cpu")')],
     ["tests/test_train.py", "-k", "same_seed or streams"]),
    ("noise stream seeded per method (pairing lost)", "ganlib/train.py",
     [("manual_seed(cfg.seed + NOISE_STREAM)", "manual_seed(cfg.seed + NOISE_STREAM + len(cfg.method))")],
     ["tests/test_train.py", "-k", "same_seed or streams"]),
    ("both NaN checks removed", "ganlib/train.py",
     [('        if not row.pop("critic_finite"):\n', '        if not row.pop("critic_finite") and False:\n'),
      ('        if not math.isfinite(row["g_loss"]):\n', "        if False:\n")], ["tests/test_train.py", "-k", "nan"]),
    ("critic NaN check removed", "ganlib/train.py",
     [('        if not row.pop("critic_finite"):\n', '        if not row.pop("critic_finite") and False:\n')],
     ["tests/test_train.py", "-k", "nan"]),
    ("generator NaN check removed", "ganlib/train.py",
     [('        if not math.isfinite(row["g_loss"]):\n', "        if False:\n")], ["tests/test_train.py", "-k", "nan"]),
    ("verdict sign flipped", "ganlib/stats.py",
     [('outcome = "lower" if iv["high"] < 0 else "higher"', 'outcome = "higher" if iv["high"] < 0 else "lower"')],
     ["tests/test_stats.py", "-k", "decide"]),
    ("verdict interval from the normal quantile (too narrow for few seeds)", "ganlib/stats.py",
     [("return stats.t.ppf(0.5 + confidence / 2, df)", "return stats.norm.ppf(0.5 + confidence / 2)")],
     ["tests/test_stats.py", "-k", "decide"]),
    ("verdict interval with n degrees of freedom", "ganlib/stats.py",
     [("t_quantile(np.asarray(n) - 1, confidence)", "t_quantile(np.asarray(n), confidence)")],
     ["tests/test_stats.py", "-k", "decide"]),
    ("equivalence judged on the mean, not the interval", "ganlib/stats.py",
     [('inside = -delta < iv["low"] and iv["high"] < delta', 'inside = -delta < iv["mean"] < delta')],
     ["tests/test_stats.py", "-k", "decide"]),
    ("a tie counted as icvp first", "ganlib/harness/compare.py",
     [("first_a = sum(1 for x, y in pairs if x is not None and (y is None or x < y))",
       "first_a = sum(1 for x, y in pairs if x is not None and (y is None or x <= y))")],
     ["tests/test_compare.py", "-k", "reach"]),
    ("W1 with the squared Euclidean cost", "ganlib/metrics.py",
     [('metric="euclidean"', 'metric="sqeuclidean"')], ["tests/test_metrics.py", "-k", "w1 or wasserstein"]),
    ("every worker takes all cores", "ganlib/threads.py",
     [("    return max(1, cores() // workers)\n", "    return cores()\n")], ["tests/test_threads.py"]),
    # (bf16 outputs left unconverted in the loss is an equivalent mutant: autocast takes the mean in fp32)
    ("--precision bf16 silently ignored", "ganlib/train.py",
     [('        if self.cfg.precision == "bf16":\n', '        if self.cfg.precision == "bf16" and False:\n')],
     ["tests/test_precision.py", "-k", "bf16"]),
    ("results store keeps the whole log", "ganlib/harness/study.py",
     [('r["iter"] % every == 0 or i == len(rows) - 1', "True")], ["tests/test_study.py", "-k", "export"]),
    ("evaluation latents ignore the run's noise law", "ganlib/metrics.py",
     [('z = generator.sample_z(n, gen) if hasattr(generator, "sample_z") else',
       'z = torch.randn(n, generator.latent_dim, generator=gen) if True else')],
     ["tests/test_metrics.py", "-k", "own_latents"]),
    ("a fresh start keeps the rows of an earlier try", "ganlib/train.py",
     [("run.it if state is not None else -1", "run.it")], ["tests/test_train.py", "-k", "fresh_start"]),
    ("a comparison mixes FID rulers", "ganlib/harness/compare.py",
     [("    if len(seen) > 1:\n", "    if False:\n")], ["tests/test_metrics.py", "-k", "different_rulers"]),
    ("a job held by another worker is trained anyway", "ganlib/harness/jobs.py",
     [("            if not mine:\n", "            if False:\n")], ["tests/test_jobs.py", "-k", "dead"]),
    ("study retrains what the store holds", "ganlib/harness/study.py",
     [("                if is_stored(stored, part.iters):\n", "                if False:\n")],
     ["tests/test_study.py", "-k", "jobs"]),
]


def copy_repo(dst: Path) -> None:
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dst / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, dst / name)


def pytest(copy: Path, args) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(copy), "MPLBACKEND": "Agg"}
    return subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                           *args], cwd=copy, env=env, capture_output=True, text=True)


def mutate(copy: Path, file: str, edits) -> None:
    path = copy / file
    text = path.read_text()
    for old, new in edits:
        n = text.count(old)
        if n != 1:
            raise SystemExit(f"mutant text found {n} times in {file} (expected once): {old!r}; update scripts/mutants.py")
        text = text.replace(old, new)
    path.write_text(text)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--only", default=None, help="comma-separated substrings of mutant names")
    p.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = p.parse_args()
    chosen = [m for m in MUTANTS if not args.only or any(o in m[0] for o in args.only.split(","))]
    if args.list:
        for name, file, _, tests in chosen:
            print(f"{name:70s} {file:22s} {' '.join(tests)}")
        return 0
    with tempfile.TemporaryDirectory(prefix="ganlib-mutants-") as tmp:
        clean = Path(tmp) / "clean"
        clean.mkdir()
        copy_repo(clean)
        for tests in sorted({tuple(m[3]) for m in chosen}):
            out = pytest(clean, tests)
            if out.returncode != 0:
                print(f"baseline FAILED for {' '.join(tests)}: fix the tests first\n{out.stdout[-2000:]}")
                return 1
        missed = 0
        print(f"{'mutant':70s} {'result':7s} seconds  tests")
        for name, file, edits, tests in chosen:
            work = Path(tmp) / "mutant"
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir()
            copy_repo(work)
            mutate(work, file, edits)
            t0 = time.perf_counter()
            out = pytest(work, tests)
            caught = out.returncode != 0
            missed += not caught
            print(f"{name:70s} {'caught' if caught else 'MISSED':7s} {time.perf_counter() - t0:7.1f}  {' '.join(tests)}",
                  flush=True)
        print(f"{len(chosen) - missed} of {len(chosen)} mutants caught")
        return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

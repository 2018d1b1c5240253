"""One sweep worker as its own process, for the tests: ``python tests/sweep_worker.py ARGS_JSON``.

Like a worker on another machine, it plans (idempotently) and takes trials with ``ganlib.harness.sweep.work``.
Every training it starts is appended to ``ARGS["log"]`` as a JSON line ``{"key", "pid", "first_iter"}``
(``first_iter``: the first generator iteration it trained, > 1 when it resumed from a checkpoint).
``fake``: instead of training, write the final metrics row and return at once (the shortest trials);
``sleep``: seconds to wait after every generator iteration (a trial long enough to be killed in).
"""

import json
import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace


def main(args: dict) -> None:
    import torch

    from ganlib.harness import sweep

    torch.set_num_threads(1)
    real = sweep.train

    def note(key, first):
        with open(args["log"], "a") as f:
            f.write(json.dumps({"key": key, "pid": os.getpid(), "first_iter": first}) + "\n")

    def train(cfg, out, resume=False, callback=None, data=None):
        out = Path(out)
        if args.get("fake"):
            note(out.name, cfg.iters)
            out.mkdir(parents=True, exist_ok=True)
            with open(out / "metrics.jsonl", "a") as f:
                f.write(json.dumps({"iter": cfg.iters, "seconds": 0.0, "w1": 1.0 + cfg.lr_g}) + "\n")
            return SimpleNamespace(it=cfg.iters, seconds=0.0, cfg=cfg)
        first = []

        def slow(run, row):
            if not first:
                first.append(run.it)
                note(out.name, run.it)
            time.sleep(args.get("sleep", 0.0))
            return callback(run, row) if callback else None

        return real(cfg, out, resume=resume, callback=slow, data=data)

    sweep.train = train
    sweep.work(sweep.load_spec(args["spec"]), args["out"], storage=args.get("storage"),
               stale_after=args.get("stale_after", 600.0), log=lambda *a: None)


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))

"""ganlib: WGAN, WGAN-GP and the paper's ICVP method (iterative cost, variable parameter), small enough to read.

Layers, top to bottom, each importing only from those below it (a contract checked by import-linter,
pyproject.toml): the command line (:mod:`ganlib.cli`), the notebooks' support (:mod:`ganlib.notebook`), the
reproduction harness (:mod:`ganlib.harness`), and the GAN library, these modules, in the order data flows:

- :mod:`ganlib.config`    a run's plain values, with help texts, validation and every default;
- :mod:`ganlib.data`      data sets by name (toy 2-D, digits, MNIST, Fashion-MNIST, CelebA, any folder);
- :mod:`ganlib.models`    MLPs and DCGAN-style networks;
- :mod:`ganlib.methods`   **the paper's logic**: gradient penalty, interpolation point, lambda schedules;
- :mod:`ganlib.relatives` ICVP's published relatives (wgan-lp, dragan, r1, zero-gp, agp) in the same harness;
- :mod:`ganlib.train`     one training loop, checkpoints, logs (paired data and noise streams per seed);
- :mod:`ganlib.threads`   one thread count per run, fixed when it starts, shared fairly between runs;
- :mod:`ganlib.metrics`   metrics independent of the critic (exact W1, classifier FID, sliced Wasserstein);
- :mod:`ganlib.stats`     the one verdict rule (paired by seed, 95% interval) and every interval, as data;
- :mod:`ganlib.provenance` how each figure and report was made (hardware, versions, commit);
- :mod:`ganlib.samples`   sample grids as PNG files (the trainer's, without matplotlib);
- :mod:`ganlib.schedules` the rule run over a whole distance trace (figures, teaching, the explorer).
"""

__version__ = "0.1.0"

import os  # noqa: E402

# Idle OpenMP threads sleep instead of spinning: a run keeps the thread count it started with (ganlib.threads),
# and when another run starts beside it, spinning threads would slow both many-fold (benchmarks/concurrency.py).
# Read when the OpenMP runtime loads (with torch, below), so it is set here; a value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from . import relatives  # noqa: E402,F401  (registers the relatives' builders with ganlib.methods.make_method)

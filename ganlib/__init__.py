"""ganlib: WGAN, WGAN-GP and the paper's ICVP method (iterative cost, variable parameter), small enough to read.

Two layers, a contract checked by import-linter (pyproject.toml): the GAN library (config, data, models,
methods, relatives, train, metrics, threads, provenance, samples, schedules) imports nothing from the reproduction
harness and the notebooks' support (the rest), and no two modules import each other in a circle.

Modules, in the order data flows through them:

- :mod:`ganlib.config`   a run's plain values, with help texts and validation;
- :mod:`ganlib.data`     data sets by name (toy 2-D, digits, MNIST, Fashion-MNIST, CelebA, any folder);
- :mod:`ganlib.models`   MLPs and DCGAN-style networks;
- :mod:`ganlib.methods`  **the paper's logic**: gradient penalty, interpolation point, lambda schedules;
- :mod:`ganlib.relatives` ICVP's published relatives (wgan-lp, dragan, r1, zero-gp, agp) in the same harness;
- :mod:`ganlib.train`    one training loop, checkpoints, logs (paired data and noise streams per seed);
- :mod:`ganlib.threads`  one thread budget per process, so that ganlib processes share the cores fairly;
- :mod:`ganlib.metrics`  metrics independent of the critic (exact W1, classifier FID, sliced Wasserstein);
- :mod:`ganlib.compare`  the convergence protocol and the one verdict rule (paired by seed, 95% interval);
- :mod:`ganlib.study`    studies at a budget that can answer, and their committed results store (notebook 09);
- :mod:`ganlib.plots`    the notebooks' figures; :mod:`ganlib.study_plots` the figures of a study;
- :mod:`ganlib.teaching` the losses on screen, computed conclusions and exercise solutions (notebooks 01-04, 07);
- :mod:`ganlib.widgets`  the interactive lambda-schedule explorer (notebook 07);
- :mod:`ganlib.sweep`    grid and random search on Optuna; :mod:`ganlib.sweep_plan` its plan and results table;
- :mod:`ganlib.tuning`   the tuning study: the seed articles' tips and the sensitivity verdicts (notebook 08);
- :mod:`ganlib.reproduce` the papermill runner and its profiles; :mod:`ganlib.reports` offline HTML and index;
- :mod:`ganlib.provenance` how each figure and report was made (hardware, versions, commit);
- :mod:`ganlib.samples`  sample grids as PNG files (the trainer's, without matplotlib);
- :mod:`ganlib.schedules` the rule run over a whole distance trace (figures, teaching, the explorer);
- :mod:`ganlib.mechanism` why icvp is slower on MNIST (notebook 10); :mod:`ganlib.placement` its relatives (11);
- :mod:`ganlib.cli`      the ``ganlib`` command.
"""

__version__ = "0.1.0"

from . import relatives  # noqa: E402,F401  (registers the relatives' builders with ganlib.methods.make_method)

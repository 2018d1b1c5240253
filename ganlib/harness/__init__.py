"""The reproduction harness: trains sets of runs, keeps their results, decides the verdicts and writes the reports.

It imports the GAN library (``ganlib.config``, ``ganlib.train``, ``ganlib.stats``, ...) and is imported by the
notebooks' support and the command line, never the other way round (pyproject.toml, ``[tool.importlinter]``).

- :mod:`ganlib.harness.compare`    the convergence protocol: train methods x seeds, summarise, the family of verdicts;
- :mod:`ganlib.harness.study`      studies at a budget that can answer, and their committed results store;
- :mod:`ganlib.harness.sweep`      grid and random search on Optuna; :mod:`ganlib.harness.sweep_plan` its plan;
- :mod:`ganlib.harness.tuning`     the tuning study: the seed articles' tips and the sensitivity verdicts;
- :mod:`ganlib.harness.reproduce`  the papermill runner and its profiles; :mod:`ganlib.harness.reports` the HTML;
- :mod:`ganlib.harness.locations`  where the project's folders are (a checkout, or ``$GANLIB_ROOT``).
"""

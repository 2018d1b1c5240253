"""ganlib: WGAN, WGAN-GP and the paper's ICVP method (iterative cost, variable parameter), small enough to read.

Modules, in the order data flows through them:

- :mod:`ganlib.config`   a run's plain values, with help texts and validation;
- :mod:`ganlib.data`     data sets by name (toy 2-D, digits, MNIST, Fashion-MNIST, CelebA, any folder);
- :mod:`ganlib.models`   MLPs and DCGAN-style networks;
- :mod:`ganlib.methods`  **the paper's logic**: gradient penalty, interpolation point, lambda schedules;
- :mod:`ganlib.train`    one training loop, checkpoints, logs;
- :mod:`ganlib.metrics`  metrics independent of the critic (exact W1, classifier FID, sliced Wasserstein);
- :mod:`ganlib.compare`  the convergence protocol and the verdict on the paper's claim;
- :mod:`ganlib.plots`    every figure;
- :mod:`ganlib.widgets`  the interactive lambda-schedule explorer (notebook 07);
- :mod:`ganlib.sweep`    grid and random search, the tuning study (notebook 08);
- :mod:`ganlib.reproduce` the papermill runner and its profiles;
- :mod:`ganlib.cli`      the ``ganlib`` command.
"""

__version__ = "0.1.0"

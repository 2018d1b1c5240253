"""The notebooks' support: what the notebooks show and say, computed from the runs and the results store.

It imports the harness and the GAN library, and nothing imports it but the command line.

- :mod:`ganlib.notebook.teaching`     the losses on screen, the small numeric demonstrations, single-run conclusions;
- :mod:`ganlib.notebook.conclusions`  the computed conclusions of the comparisons (04-07, 09), modes counted;
- :mod:`ganlib.notebook.exercises`    the exercises' solutions, the gradient-penalty checker (02);
- :mod:`ganlib.notebook.widgets`      the interactive lambda-schedule explorer (notebook 07);
- :mod:`ganlib.notebook.plots`        the notebooks' figures; :mod:`ganlib.notebook.study_plots` a study's figures;
- :mod:`ganlib.notebook.mechanism`    why icvp is slower on MNIST (notebook 10);
- :mod:`ganlib.notebook.placement`    icvp among its relatives (notebook 11).
"""

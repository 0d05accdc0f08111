"""The ``ivrules`` command line: one module per job, listed in ``main.COMMANDS``."""

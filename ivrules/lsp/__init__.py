"""The language server for agreement files: ``analysis`` (the findings), ``server`` (pygls), ``features``."""

"""The agreements → the readable site: Danish Markdown pages for MkDocs, listed in ``build.PAGES``."""

"""Agreement files → the typed model: YAML with source positions (``loader``), agreements, tariffs, accession."""

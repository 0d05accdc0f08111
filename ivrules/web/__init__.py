"""The service: the ``/v1`` API, the doctors' page, the readable agreements and CDS Hooks (``cds``)."""

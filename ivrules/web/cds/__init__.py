"""CDS Hooks 2.0: the eligibility check inside the doctor's EHR when an IV order is signed.

    request ─ security (JWT) ─ fetch (prefetch or the client's FHIR server)
            ─ fhir_facts (FHIR R4 → facts, per IV order; resources read by lenient) ─ Book.eligibility
            ─ cards (one per IV order, and one per IV order that could not be read) ─ {"cards": [...]}

``router.install(app, lambda: book)`` adds the endpoints and their CORS to a
FastAPI app. What each FHIR element means is data in ``fhir.yaml``; see
``README.md`` beside this file for the mapping, the extensions and the settings.
"""

from ivrules.web.cds.router import cds_router, install
from ivrules.web.cds.security import Settings

__all__ = ["Settings", "cds_router", "install"]

"""The JSON of CDS Hooks 2.0 as pydantic models: the call's body (checked) and the answers (documented).

``HookCall`` validates a call; the answer models exist for the OpenAPI
document (the router builds answers as plain dicts so optional fields can be
left out rather than sent as null, as the spec requires).
"""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, model_validator

from ivrules.web.models import Invalid


class FhirAuthorization(BaseModel):
    """The OAuth 2.0 bearer token a client may hand over for its FHIR server."""

    model_config = ConfigDict(extra="allow")

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int
    scope: str
    subject: str


class HookCall(BaseModel):
    """The body of a CDS Hooks 2.0 call; fields outside the spec (``extension``) are allowed and ignored."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    hook: str
    hook_instance: UUID = Field(alias="hookInstance")
    fhir_server: AnyHttpUrl | None = Field(None, alias="fhirServer")
    fhir_authorization: FhirAuthorization | None = Field(None, alias="fhirAuthorization")
    context: dict[str, Any]
    prefetch: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _server_with_token(self) -> HookCall:
        if self.fhir_authorization is not None and self.fhir_server is None:
            raise ValueError("fhirAuthorization kræver fhirServer")
        return self


class Source(BaseModel):
    label: str
    url: str | None = None


class Link(BaseModel):
    label: str
    url: str
    type: Literal["absolute", "smart"]


class Card(BaseModel):
    """A card; ``indicator`` is info (kan overdrages), warning (uafklaret) or critical (ikke omfattet)."""

    summary: str = Field(max_length=139)
    indicator: Literal["info", "warning", "critical"]
    source: Source
    detail: str | None = Field(None, description="Markdown (GitHub-flavoured) med begrundelser og links")
    links: list[Link] | None = None


class Cards(BaseModel):
    cards: list[Card]


class ServiceDefinition(BaseModel):
    hook: str
    id: str
    title: str | None = None
    description: str
    prefetch: dict[str, str] | None = None


class Discovery(BaseModel):
    services: list[ServiceDefinition]


class Message(BaseModel):
    detail: str


UNAUTHORIZED: dict[str, Any] = {"description": "Kaldet bærer ingen gyldig JWT fra en betroet EPJ (intet indhold)."}
DISCOVERY_RESPONSES: dict[int | str, dict[str, Any]] = {200: {"model": Discovery}, 401: UNAUTHORIZED}
SERVICE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": Cards, "description": "Ét kort pr. IV-ordination; ingen kort, når ingen ordination er IV."},
    401: UNAUTHORIZED,
    404: {"model": Message, "description": "Ukendt tjeneste."},
    422: {"model": Invalid, "description": "Kaldet følger ikke CDS Hooks 2.0; hvert problem nævner feltet."},
    412: {"model": Message, "description": "Prefetch mangler, og kaldet giver ikke adgang til at hente data."},
}

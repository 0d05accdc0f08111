"""The keys of each kind of agreement-file mapping, with a Danish description for completion and hover.

The keys are the loader's own tuples (``ivrules.model.agreement.SECTION_KEYS``, ...),
arranged here as the shape of each kind of file (``FILES``); completion reads them, and
so does the JSON Schema of each kind of file (``ivrules.lsp.schema``). The descriptions
are the secretariat's help text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from ivrules.lang.vocabulary import ROLE_TYPES
from ivrules.model import accession, agreement, regions, tariff, topics, vocabulary
from ivrules.site import sources

DESCRIPTIONS: dict[str, str] = {
    "region": "regionens id (en mappe under agreements/, fra regions.yaml)",
    "title": "aftalens titel, som den står i dokumentet",
    "effective": "datoen, udgaven træder i kraft (ÅÅÅÅ-MM-DD); også filens navn",
    "until": "sidste dag, udgaven gælder (ÅÅÅÅ-MM-DD)",
    "no_agreement_after": "hvorfor ingen aftale gælder efter 'until' (et hul, filen selv forklarer)",
    "source": "kilden: dokumentets navn, fil, adresse og en note",
    "preamble": "aftalens indledning, ordret",
    "sections": "aftalens afsnit i rækkefølge, med afsnittets regler",
    "interpretations": "de læsninger, filen vælger, hvor aftalen er flertydig",
    "unknowns": "det, aftalen ikke siger; svarene siger det i stedet for at gætte",
    "examples": "eksempler med forventede svar; testene kører dem alle",
    "termination": "opsigelse: varsel og afsnit",
    "parties": "afsnittet, der siger, hvem aftalens parter er (partskontrollen henviser til det)",
    "in_force_unknown": ("perioden, hvor kilderne ikke siger, om udgaven var trådt i kraft: from, to, fact (ja/nej-"
                         "faktummet, et spørgsmål kan oplyse) og unknown (id'et under unknowns)"),
    "index": "pris- og lønfremskrivningen: et indekstal pr. år med kilde; et år uden tal giver en ukendt pris",
    "tariff": "taksterne: finansiering, takstskemaer og afregningsregler",
    "number": "afsnittets nummer, som tekst (\"8.2\")",
    "text": "aftalens egen tekst, ordret",
    "rules": "de regler, afsnittet fastsætter",
    "party": "hvem afsnittet handler om: region, kommune eller almen_praksis",
    "items": "afsnittets punktopstilling",
    "id": "et id, entydigt i filen",
    "rule": "reglen i reglernes sprog, fx 'alder > 3 år'",
    "explain": "en dansk sætning, der forklarer reglen for en læge",
    "condition": "en betingelse, parterne skal aftale (i stedet for 'rule')",
    "applies": "hvornår det gælder, i reglernes sprog",
    "interpretation": "id'et på den fortolkning, reglen bygger på",
    "reading": "den valgte læsning",
    "rationale": "hvorfor læsningen er valgt",
    "section": "nummeret på det afsnit, det hører til",
    "about": "det faktum (eller tariff/financing), aftalen er tavs om",
    "name": "eksemplets navn",
    "description": "hvad eksemplet viser",
    "facts": "forløbets fakta (navnene fra vocabulary.yaml)",
    "expect": "det forventede svar: eligible, missing, conditions, reasons, error, tariff",
    "eligible": "forventet svar: true, false eller null (uafklaret)",
    "missing": "de fakta, svaret forventes at mangle",
    "conditions": "de betingelser, svaret forventes at nævne",
    "reasons": "reglernes forventede udfald: {regel-id: passed/failed/unknown}",
    "error": "en tekst, den forventede fejl skal indeholde",
    "document": "dokumentets titel",
    "file": "kildefilen",
    "url": "adressen på dokumentet",
    "note": "en note om kilden",
    "notice": "opsigelsesvarslet",
    "financing": "fordelingen mellem region og kommune, fx {region: 70 %, kommune: 30 %}",
    "schedules": "takstskemaerne, hvert valgt af en 'applies'-regel",
    "invoice_date": "hvilken dato et forløb faktureres efter",
    "count_days": "hvordan dagene tælles: calendar eller dose_days",
    "beyond_last_day": "flaget for dage efter det sidste dagsinterval",
    "when": "hvornår afregningsreglen gælder, i reglernes sprog",
    "effect": "hvad reglen gør: unknown, note eller flag",
    "flag": "flagets navn",
    "municipality": "kommunens navn, fra municipalities.yaml",
    "roles": "hvilke fakta der spiller motorens faste roller (dato, kommune, ...)",
    "topics": "sammenligningens rækker: emner med deres fakta",
    "term": "det danske ord, reglerne bruger",
    "type": "faktummets type: number, bool, date, enum, municipality, ...",
    "label": "den danske betegnelse, som siden og lægen ser",
    "question": "spørgsmålet, lægen stilles",
    "unit": "enheden, fx år, dage, timer",
    "values": "de tilladte værdier af et opremsningsfaktum, hver med term og label",
    "derive": "hvordan faktummet afledes af andre, fx same(start_date)",
    "statement": "sætningen, når et ja/nej-faktum er sandt",
    "negation": "sætningen, når et ja/nej-faktum er falsk",
    "range": "de plausible værdier af et talfaktum, [mindst, højst]; et svar uden for giver en fejl",
    "whole": "true for et talfaktum, der tæller noget: kun hele tal (1,5 afvises)",
    "catches": "hvad emnet fanger, ud over sine fakta",
    "model": "den del af modellen, emnet handler om",
    "code": "kommunens kode",
    "island": "true for en økommune",
    "regions": "regionerne: id og dansk navn",
    "accessions": "tiltrædelserne, én linje pr. region og første udgave, der skal tiltrædes",
    "agreement": "datoen for den første udgave, der skal tiltrædes (filnavnet i regionens mappe)",
    "complete": "true, når listen over tiltrådte kommuner er fuldstændig",
    "members": "de kommuner, der har tiltrådt, og fra hvornår",
    "fallback": "udgaven, der gælder for kommuner, der ikke har tiltrådt",
    "all_from": "datoen, hvor alle regionens kommuner havde tiltrådt",
    "from": "første dag i perioden, hvor det ikke vides, om udgaven var i kraft",
    "to": "sidste dag i perioden, hvor det ikke vides, om udgaven var i kraft",
    "fact": "ja/nej-faktummet, et spørgsmål kan oplyse for at afgøre det",
    "unknown": "id'et under 'unknowns', der siger, hvad kilderne ikke angiver",
}

# Where a key means something else in another kind of file than in an agreement revision.
DESCRIPTIONS_IN: dict[str, dict[str, str]] = {
    "vocabulary": {"facts": "de fakta, reglerne må bruge, efter JSON-navn", "id": "emnets id",
                   "title": "emnets danske titel"},
    "municipalities": {"name": "kommunens navn", "region": "regionens id (fra regions.yaml)"},
    "regions": {"id": "regionens id (mappens navn under agreements/)", "name": "regionens danske navn"},
    "accession": {"region": "regionens id", "source": "kilden til tiltrædelsen", "note": "en note",
                  "from": "datoen, kommunen tiltrådte fra"},
    "sources": {"kilder": "kilderne efter den kode, aftalefilerne skriver (W06, 002)",
                "title": "kildens danske navn, som det kan stå midt i en sætning",
                "url": "kildens offentlige adresse", "file": "kildens tekst under kilder/, som sitet udgiver"},
}


def descriptions(kind: str) -> dict[str, str]:
    """The Danish description of each key in one kind of file."""
    return {**DESCRIPTIONS, **DESCRIPTIONS_IN.get(kind, {})}


@dataclass(frozen=True)
class Shape:
    """A mapping in a file: its keys, required and optional (the loader's tuples), and for a key that holds
    more mappings, how ("object": one, "list": a list of them, "map": any names, each one) and their shape."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    children: Mapping[str, tuple[Holds, Shape]] = field(default_factory=dict)
    closed: bool = True  # the loader rejects any other key

    @property
    def keys(self) -> tuple[str, ...]:
        return self.required + self.optional


Holds = Literal["object", "list", "map"]
RULES = Shape(*agreement.RULE_KEYS)
EXPECT = Shape((), ("eligible", "missing", "conditions", "reasons", "error", "tariff"), closed=False)
TARIFF = Shape(tariff.TOP_REQUIRED, tariff.TOP_OPTIONAL, {"rules": ("list", Shape(*tariff.RULE_KEYS))}, closed=False)
AGREEMENT = Shape(agreement.TOP_REQUIRED, agreement.TOP_OPTIONAL, {
    "source": ("object", Shape(*agreement.SOURCE_KEYS)),
    "termination": ("object", Shape(*agreement.TERMINATION_KEYS)),
    "parties": ("object", Shape(*agreement.PARTIES_KEYS)),
    "in_force_unknown": ("object", Shape(*agreement.WINDOW_KEYS)),
    "sections": ("list", Shape(*agreement.SECTION_KEYS, {"rules": ("list", RULES)})),
    "interpretations": ("list", Shape(*agreement.INTERPRETATION_KEYS)),
    "unknowns": ("list", Shape(*agreement.UNKNOWN_KEYS)),
    "examples": ("list", Shape(*agreement.EXAMPLE_KEYS, {"expect": ("object", EXPECT)})),
    "tariff": ("object", TARIFF),
})
FACT = Shape(*vocabulary.FACT_KEYS, {"values": ("map", Shape(*vocabulary.VALUE_KEYS))})
VOCABULARY = Shape(*vocabulary.VOCABULARY_KEYS, {
    "facts": ("map", FACT),
    "roles": ("object", Shape(tuple(ROLE_TYPES))),
    "topics": ("list", Shape(("id", "title"), topics.TOPIC_OPTIONAL)),
})
ACCESSION = Shape(accession.ACCESSION_TOP, (), {"accessions": ("list", Shape(
    accession.LINE_REQUIRED, accession.LINE_OPTIONAL, {"members": ("list", Shape(*accession.MEMBER_KEYS))}))})
MUNICIPALITIES = Shape(*vocabulary.MUNICIPALITIES_KEYS,
                       {"municipalities": ("list", Shape(*vocabulary.MUNICIPALITY_KEYS))})
REGIONS = Shape(regions.REGIONS_TOP, (), {"regions": ("list", Shape(regions.REGION_KEYS))})
SOURCES = Shape(sources.TOP_KEYS, (), {"kilder": ("map", Shape(sources.SOURCE_KEYS, sources.SOURCE_OPTIONAL))})
# Each kind of file under agreements/: its name (None: a revision, <region>/<date>.yaml), title and shape.
FILES: dict[str, tuple[str | None, str, Shape]] = {
    "agreement": (None, "En udgave af en regions aftale om IV-behandling", AGREEMENT),
    "vocabulary": ("vocabulary.yaml", "Fakta, som reglerne bruger, deres roller og sammenligningens emner",
                   VOCABULARY),
    "accession": ("accession.yaml", "Kommunernes tiltrædelser af regionernes aftaler", ACCESSION),
    "municipalities": ("municipalities.yaml", "Kommunerne og deres region", MUNICIPALITIES),
    "regions": ("regions.yaml", "Regionerne", REGIONS),
    "sources": (sources.FILE, "Kilderne, aftalefilerne henviser til med en kode", SOURCES),
}


def kind_of(name: str) -> str:
    """The kind of file a file name is: one of the shared files, or an agreement revision."""
    return next((kind for kind, (file, _, _) in FILES.items() if file == name), "agreement")


def keys_for(path: list[str], kind: str = "agreement") -> tuple[str, ...]:
    """The keys allowed where the cursor is, from the keys that hold it (``Cursor.key_path``)."""
    shape: Shape | None = FILES[kind][2]
    names = iter(path)
    for key in names:
        child = shape.children.get(key) if shape is not None else None
        if child is None:
            return ()
        holds, shape = child
        if holds == "map" and next(names, None) is None:  # on the line of a name: its keys come below it
            return ()
    return shape.keys if shape is not None else ()

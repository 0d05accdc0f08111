"""The keys of each kind of agreement-file mapping, with a Danish description for completion and hover.

The key names come from the loader's own lists where it has them (``TOP_REQUIRED``,
``TOP_OPTIONAL``); the descriptions are the secretariat's help text.
"""

from __future__ import annotations

from ivrules.model import tariff
from ivrules.model.agreement import TOP_OPTIONAL, TOP_REQUIRED

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
}

# The keys a mapping may have, by the key that holds it: (parent, grandparent) or parent alone.
KEYS: dict[tuple[str, ...], tuple[str, ...]] = {
    (): TOP_REQUIRED + TOP_OPTIONAL,
    ("sections",): ("number", "title", "text", "rules", "party", "items"),
    ("sections", "rules"): ("id", "rule", "explain", "condition", "applies", "interpretation"),
    ("interpretations",): ("id", "title", "reading", "rationale"),
    ("unknowns",): ("id", "text", "section", "about"),
    ("examples",): ("name", "facts", "expect", "description"),
    ("examples", "expect"): ("eligible", "missing", "conditions", "reasons", "error", "tariff"),
    ("source",): ("document", "file", "url", "note"),
    ("termination",): ("notice", "section"),
    ("tariff",): tariff.TOP_REQUIRED + tariff.TOP_OPTIONAL,
    ("tariff", "rules"): ("id", "when", "effect", "text", "flag", "interpretation"),
}


def keys_for(path: list[str]) -> tuple[str, ...]:
    """The keys allowed where the cursor is, from the keys that hold it (``Cursor.key_path``)."""
    return KEYS.get(tuple(path), ())

"""One-off: rewrite the examples of agreement files in the vocabulary's Danish names.

    PYTHONPATH=. python scripts/danish_examples.py agreements/*/*.yaml README.md

Within each file's top-level ``examples:`` block only (nothing else in the
file is touched, so other edits of the same files merge cleanly), a key that
is a fact's English name becomes its Danish term, the value of an enumerated
fact becomes the value's Danish term, and the fact names in ``missing: [...]``
become Danish terms. Line by line, so comments, anchors (``&antibiotika``,
``<<: *antibiotika``) and layout stay as written. Running it twice changes
nothing the second time. In a Markdown file, the facts in its code blocks
(``{"treatment": "antibiotics"}``) are rewritten the same way.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ivrules.errors import AgreementError, Diagnostics
from ivrules.lang.vocabulary import Vocabulary
from ivrules.model.load import load_vocabulary

KEY = re.compile(r"(?P<lead>^\s*(?:-\s+)?|[{,]\s*)(?P<key>[A-Za-z_][\w]*)(?P<colon>:\s*)"
                 r"(?P<value>[^,{}\[\]#\n]*?)(?=\s*(?:[,}\[]|#|$))")
MISSING = re.compile(r"(?P<head>\bmissing:\s*\[)(?P<items>[^\]]*)(?P<tail>\])")
TEXT_KEYS = ("name", "description")  # free text: never rewritten


def convert_line(line: str, vocab: Vocabulary) -> str:
    if re.match(r"^\s*(?:-\s+)?(?:" + "|".join(TEXT_KEYS) + r"):", line):
        return line
    line = MISSING.sub(lambda m: m["head"] + _names(m["items"], vocab) + m["tail"], line)
    return KEY.sub(lambda m: _pair(m, vocab), line)


def _names(items: str, vocab: Vocabulary) -> str:
    return ", ".join(vocab.term(item.strip()) for item in items.split(",")) if items.strip() else items


def _pair(m: re.Match[str], vocab: Vocabulary) -> str:
    fact = vocab.facts.get(m["key"]) or vocab.by_term.get(m["key"])
    if fact is None:
        return m.group(0)
    value = m["value"]
    found = fact.value_by_term(value.strip()) if fact.values and value.strip() else None
    if found is not None:
        value = value.replace(value.strip(), found.term)
    return f"{m['lead']}{fact.term}{m['colon']}{value}"


def convert(text: str, vocab: Vocabulary) -> str:
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if re.match(r"^[^\s#]", line):  # a top-level key starts or ends the examples block
            inside = line.startswith("examples:")
        out.append(convert_line(line, vocab) if inside else line)
    return "".join(out)


QUOTED = re.compile(r'"(?P<key>[A-Za-z_]\w*)"(?P<colon>:\s*)(?P<value>"[^"]*")?')
FENCE = re.compile(r"^```")


def convert_markdown(text: str, vocab: Vocabulary) -> str:
    """In a Markdown file's code blocks, JSON and Python facts ``{"treatment": "antibiotics"}`` in Danish."""
    out, inside = [], False
    for line in text.splitlines(keepends=True):
        if FENCE.match(line):
            inside = not inside
        out.append(QUOTED.sub(lambda m: _quoted(m, vocab), line) if inside else line)
    return "".join(out)


def _quoted(m: re.Match[str], vocab: Vocabulary) -> str:
    fact = vocab.facts.get(m["key"])
    if fact is None:
        return m.group(0)
    value = m["value"] or ""
    found = fact.value_by_term(value.strip('"')) if fact.values and value else None
    return f'"{fact.term}"{m["colon"]}' + (f'"{found.term}"' if found is not None else value)


def main(paths: list[str]) -> None:
    diags = Diagnostics()
    vocab = load_vocabulary(Path("agreements"), diags)  # the vocabulary alone: the examples may not load yet
    if diags:
        raise AgreementError(list(diags))
    for name in paths:
        path = Path(name)
        text = path.read_text(encoding="utf-8")
        new = convert_markdown(text, vocab) if path.suffix == ".md" else convert(text, vocab)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"{path}: {sum(a != b for a, b in zip(text.splitlines(), new.splitlines(), strict=True))} linjer")


if __name__ == "__main__":
    main(sys.argv[1:])

"""``ivrules lsp`` driven over stdio by a real LSP client (pytest-lsp), on the real agreement files.

Nothing is written to disk: every edit is an unsaved buffer, which the server must read instead of the file.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import AGREEMENTS, ROOT

MIDT = AGREEMENTS / "midtjylland" / "2020-06-01.yaml"


def lsp_command(before_main: str = "") -> list[str]:
    """The command a user runs, `ivrules lsp`, with this checkout first on the path (and ``before_main`` run
    first, e.g. to inject a fault)."""
    return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT)!r}); sys.argv = ['ivrules', 'lsp']\n"
            f"{before_main}\nfrom ivrules.cli import main; main()"]


async def session(lsp_client: LanguageClient):  # type: ignore[no-untyped-def]
    """An initialised session with the server for the module's tests (the body of each module's ``client``)."""
    params = types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=ROOT.as_uri())
    await lsp_client.initialize_session(params)
    yield
    await lsp_client.shutdown_session()


pytestmark = pytest.mark.asyncio(loop_scope="module")
client = pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=lsp_command()))(session)


def uri(path: Path) -> str:
    return path.as_uri()


async def diagnostics_after(client: LanguageClient, path: Path, action: Callable[[], None]) -> list[types.Diagnostic]:
    """Do ``action`` (send a notification) and wait until the server publishes for ``path``."""
    client.diagnostics.pop(uri(path), None)
    action()
    for _ in range(200):
        await asyncio.sleep(0.05)
        if uri(path) in client.diagnostics:
            return list(client.diagnostics[uri(path)])
    raise AssertionError(f"no diagnostics published for {path}")


def open_doc(client: LanguageClient, path: Path, text: str, version: int = 1) -> None:
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri(path), language_id="yaml", version=version, text=text)))


def change_doc(client: LanguageClient, path: Path, text: str, version: int) -> None:
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri(path), version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def closed(client: LanguageClient, path: Path) -> None:
    """Close a document and wait for the publication that follows, so it cannot arrive during the next test."""
    await diagnostics_after(client, path, lambda: close_doc(client, path))


def close_doc(client: LanguageClient, path: Path) -> None:
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri(path))))


def row_of(text: str, needle: str) -> int:
    """The 0-based line of the first line containing ``needle`` (so edits above it do not break the tests)."""
    return next(i for i, line in enumerate(text.split("\n")) if needle in line)


async def test_a_misspelt_fact_is_reported_on_its_token_and_cleared_when_fixed(client: LanguageClient) -> None:
    text = MIDT.read_text(encoding="utf-8")
    broken = text.replace("rule: alder > 3 år", "rule: aldr > 3 år")
    found = await diagnostics_after(client, MIDT, lambda: open_doc(client, MIDT, broken))
    row = row_of(text, "rule: alder > 3 år")
    assert [(d.range.start.line, d.range.start.character, d.range.end.character) for d in found] == [(row, 14, 18)]
    assert found[0].message.startswith("ukendt faktum 'aldr'")
    assert "tip: mente du 'alder'?" in found[0].message
    assert found[0].data == {"suggestion": "alder"}
    assert await diagnostics_after(client, MIDT, lambda: change_doc(client, MIDT, text, 2)) == []
    await closed(client, MIDT)


BAD = ["many_mistakes", "syntax_missing_value", "syntax_unclosed_set", "example_unknown_fact", "duplicate_key"]


def recorded(name: str) -> list[tuple[int, int, str]]:
    """The (line, column, message) of each mistake `ivrules check` recorded for a file of tests/bad/, 0-based."""
    out = []
    for line in (ROOT / "tests" / "bad" / f"{name}.expected").read_text(encoding="utf-8").splitlines():
        where, sep, message = line.partition(": fejl: ")
        if sep:
            _, row, column = where.rsplit(":", 2)
            out.append((int(row) - 1, int(column) - 1, message))
    return out


@pytest.mark.parametrize("name", BAD)
async def test_a_broken_draft_gets_the_recorded_messages_at_the_recorded_places(client: LanguageClient,
                                                                                name: str) -> None:
    path = ROOT / "tests" / "bad" / f"{name}.yaml"
    found = await diagnostics_after(client, path, lambda: open_doc(client, path, path.read_text(encoding="utf-8")))
    got = [(d.range.start.line, d.range.start.character, d.message.split("\n")[0]) for d in found]
    assert got == recorded(name)
    await closed(client, path)


async def test_a_vocabulary_edit_shows_in_the_agreements_that_use_the_fact(client: LanguageClient) -> None:
    vocabulary = AGREEMENTS / "vocabulary.yaml"
    text = vocabulary.read_text(encoding="utf-8")
    found = await diagnostics_after(client, MIDT, lambda: open_doc(
        client, vocabulary, text.replace("term: alder\n", "term: alderen\n", 1)))
    assert (row_of(MIDT.read_text(encoding="utf-8"), "rule: alder > 3 år"), 14) in [
        (d.range.start.line, d.range.start.character) for d in found]
    assert any(d.message.startswith("ukendt faktum 'alder'") and "mente du 'alderen'?" in d.message for d in found)
    assert await diagnostics_after(client, MIDT, lambda: change_doc(client, vocabulary, text, 2)) == []
    await closed(client, vocabulary)


async def test_an_example_with_a_wrong_expectation_is_reported_on_the_example(client: LanguageClient) -> None:
    text = MIDT.read_text(encoding="utf-8")
    wrong = text.replace("    expect:\n      eligible: true\n      missing: []", "    expect:\n      eligible: false\n"
                         "      missing: []", 1)
    found = await diagnostics_after(client, MIDT, lambda: open_doc(client, MIDT, wrong))
    assert [(d.range.start.line, d.range.start.character) for d in found] == [
        (row_of(text, "- name: Antibiotika tre gange i døgnet i Codan-mix Add sæt"), 4)]
    assert "eksemplet 'Antibiotika tre gange i døgnet i Codan-mix Add sæt' holder ikke" in found[0].message
    assert "eligible: forventet false, fik true" in found[0].message
    await closed(client, MIDT)


async def test_overlapping_revisions_are_shown_in_both_files(client: LanguageClient) -> None:
    text = MIDT.read_text(encoding="utf-8")
    later = AGREEMENTS / "midtjylland" / "2021-05-01.yaml"
    open_doc(client, MIDT, text.replace("effective: 2020-06-01\n", "effective: 2020-06-01\nuntil: 2021-06-01\n"))
    found = await diagnostics_after(client, later, lambda: None)
    assert [d.range.start.line for d in found] == [later.read_text(encoding="utf-8").split("\n").index(
        "effective: 2021-05-01")]
    assert "perioderne må ikke overlappe" in found[0].message
    close_doc(client, MIDT)
    assert await diagnostics_after(client, later, lambda: None) == []


async def test_a_file_that_is_not_yaml_gives_a_diagnostic_and_the_server_keeps_serving(client: LanguageClient) -> None:
    path = AGREEMENTS / "midtjylland" / "2021-05-01.yaml"
    found = await diagnostics_after(client, path, lambda: open_doc(client, path, "region: midtjylland\n\x00\x01"))
    assert [(d.range.start.line, d.range.start.character) for d in found] == [(1, 0)]
    assert found[0].message.startswith("tegnet U+0000 (NUL) må ikke stå i en aftalefil")  # the loader's own message
    close_doc(client, path)
    found = await diagnostics_after(client, path, lambda: None)
    assert found == []


async def test_a_half_typed_rule_gives_a_syntax_diagnostic(client: LanguageClient) -> None:
    text = MIDT.read_text(encoding="utf-8")
    found = await diagnostics_after(client, MIDT, lambda: open_doc(
        client, MIDT, text.replace("rule: alder > 3 år", "rule: alder > ")))
    assert [d.message.split("\n")[0] for d in found] == ["mangler en værdi efter sammenligningen"]
    await closed(client, MIDT)


def where(path: Path, needle: str, offset: int = 0, nth: int = 0) -> types.Position:
    """The position ``offset`` characters into the ``nth`` line that contains ``needle``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    row = [i for i, line in enumerate(lines) if needle in line][nth]
    return types.Position(row, lines[row].index(needle) + offset)


async def hover_at(client: LanguageClient, path: Path, position: types.Position) -> str:
    found = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=uri(path)), position=position))
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    return found.contents.value


async def test_hover_tells_the_fact_the_rule_the_reading_and_the_value(client: LanguageClient) -> None:
    await diagnostics_after(client, MIDT, lambda: open_doc(client, MIDT, MIDT.read_text(encoding="utf-8")))
    fact = await hover_at(client, MIDT, where(MIDT, "rule: alder > 3 år", 7))
    assert "**alder** (`age_years`): Alder (fyldte år)" in fact and "Type: tal" in fact and "Enhed: år" in fact
    rule = await hover_at(client, MIDT, where(MIDT, "- id: lukket_system", 8, nth=1))
    assert "**Regel lukket_system** (afsnit 4 Afgrænsning)" in rule
    assert "Hvis behandling er antibiotika, gælder det, at infusionssystem er Codan-mix Add sæt" in rule
    reading = await hover_at(client, MIDT, where(MIDT, "interpretation: alder_fyldte_år", 18))
    assert reading.startswith("**Fortolkning alder_fyldte_år**") and "mindst 4 fyldte år" in reading
    value = await hover_at(client, MIDT, where(MIDT, "system i {codan_mix_add, elastomerisk_pumpe}", 27))
    assert value.startswith("**elastomerisk_pumpe** (`elastomeric_pump`): elastomerisk pumpe")
    unknown = await hover_at(client, MIDT, where(MIDT, "- id: væske_doser_pr_døgn", 8))
    assert unknown.startswith("**Ukendt væske_doser_pr_døgn** (afsnit 4)")
    await closed(client, MIDT)


async def complete_at(client: LanguageClient, path: Path, text: str, position: types.Position) -> list[str]:
    await diagnostics_after(client, path, lambda: open_doc(client, path, text))
    found = await client.text_document_completion_async(types.CompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri(path)), position=position))
    await closed(client, path)
    items = found.items if isinstance(found, types.CompletionList) else found or []
    return [item.label for item in items]


async def edited_completion(client: LanguageClient, old: str, new: str) -> list[str]:
    """Completion at the end of ``new``, typed in place of ``old`` in the Midtjylland file (unsaved)."""
    text = MIDT.read_text(encoding="utf-8").replace(old, new, 1)
    row = text.split("\n").index(new)
    return await complete_at(client, MIDT, text, types.Position(row, len(new)))


async def test_completion_in_a_rule(client: LanguageClient) -> None:
    rule = "        rule: alder > 3 år"
    values = await edited_completion(client, rule, "        rule: behandling = ")
    assert values == ["antibiotika", "isotone_væsker", "kemoterapi", "alfa1_antitrypsin", "anden_medicin"]
    in_set = await edited_completion(client, rule, "        rule: adgang i {PVK, ")
    assert "CVK" in in_set and "antibiotika" not in in_set
    units = await edited_completion(client, rule, "        rule: alder > 3 ")
    assert units[0] == "år" and "doser pr. døgn" in units
    start = await edited_completion(client, rule, "        rule: ")
    assert {"alder", "behandling", "hvis … så", "og", "eller", "ikke", "inden for kl."} <= set(start)
    towns = await edited_completion(client, rule, "        rule: kommune = ")
    assert "Aarhus" in towns and "Odense" not in towns  # Midtjylland's municipalities only


async def test_completion_of_ids_municipalities_and_keys(client: LanguageClient) -> None:
    ids = await edited_completion(client, "        interpretation: alder_fyldte_år", "        interpretation: ")
    assert ids[:2] == ["alder_fyldte_år", "tidsrum_07_00"]
    towns = await edited_completion(client, "      kommune: Aarhus", "      kommune: ")
    assert "Samsø" in towns and "Aalborg" not in towns
    treatments = await edited_completion(client, "      behandling: antibiotika", "      behandling: ")
    assert treatments[:2] == ["antibiotika", "isotone_væsker"]
    keys = await edited_completion(client, "        explain: Borgeren skal være over 3 år.", "        ")
    assert keys == ["id", "rule", "explain", "condition", "applies", "interpretation"]


def doc_id(path: Path) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri(path))


def spots(locations: object) -> list[tuple[str, int, int]]:
    assert isinstance(locations, list | tuple)
    return [(Path(loc.uri.removeprefix("file://")).name, loc.range.start.line, loc.range.start.character)
            for loc in locations]


async def test_definition_and_references_of_an_interpretation_and_a_fact(client: LanguageClient) -> None:
    await diagnostics_after(client, MIDT, lambda: open_doc(client, MIDT, MIDT.read_text(encoding="utf-8")))
    cited = where(MIDT, "interpretation: alder_fyldte_år", 18)
    declared = where(MIDT, "- id: alder_fyldte_år", 6)
    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc_id(MIDT), position=cited))
    assert spots(found) == [(MIDT.name, declared.line, declared.character)]
    found = await client.text_document_references_async(types.ReferenceParams(
        text_document=doc_id(MIDT), position=declared, context=types.ReferenceContext(include_declaration=True)))
    assert spots(found) == [(MIDT.name, declared.line, declared.character), (MIDT.name, cited.line, 24)]
    fact = where(MIDT, "rule: alder > 3 år", 7)
    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc_id(MIDT), position=fact))
    vocabulary = where(AGREEMENTS / "vocabulary.yaml", "  age_years:", 2)
    assert spots(found) == [("vocabulary.yaml", vocabulary.line, vocabulary.character)]
    found = await client.text_document_references_async(types.ReferenceParams(
        text_document=doc_id(MIDT), position=fact, context=types.ReferenceContext(include_declaration=True)))
    places = spots(found)
    assert places[0] == ("vocabulary.yaml", vocabulary.line, 2)
    assert (MIDT.name, fact.line, 14) in places  # the rule, at the term
    assert (MIDT.name, where(MIDT, "alder: 45").line, 6) in places  # an example, at the fact's Danish name
    assert ("2021-05-01.yaml", where(AGREEMENTS / "midtjylland" / "2021-05-01.yaml", "rule: alder > 3 år").line,
            14) in places  # another revision
    await closed(client, MIDT)


async def test_the_outline_reads_like_the_table_of_contents(client: LanguageClient) -> None:
    await diagnostics_after(client, MIDT, lambda: open_doc(client, MIDT, MIDT.read_text(encoding="utf-8")))
    found = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc_id(MIDT)))
    assert found is not None
    names = [s.name for s in found if isinstance(s, types.DocumentSymbol)]
    assert names[:4] == ["1 Parter i aftalen", "2 Formål", "3 Målgruppen", "4 Afgrænsning"]
    assert names[-4:] == ["Fortolkninger", "Ukendt", "Eksempler", "Takster"]
    target = next(s for s in found if isinstance(s, types.DocumentSymbol) and s.name == "3 Målgruppen")
    assert [(c.name, c.detail) for c in target.children or []][:2] == [("alder", "alder > 3 år"),
                                                                       ("startet_på_hospital", "startet_på_hospital")]
    await closed(client, MIDT)


async def test_a_code_action_applies_the_suggestion(client: LanguageClient) -> None:
    broken = MIDT.read_text(encoding="utf-8").replace("rule: alder > 3 år", "rule: aldr > 3 år")
    found = await diagnostics_after(client, MIDT, lambda: open_doc(client, MIDT, broken))
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc_id(MIDT), range=found[0].range, context=types.CodeActionContext(diagnostics=found)))
    assert actions is not None and len(actions) == 1
    action = actions[0]
    assert isinstance(action, types.CodeAction) and action.title == "Ret til 'alder'"
    assert action.edit is not None and action.edit.changes is not None
    [edit] = action.edit.changes[uri(MIDT)]
    assert (edit.range, edit.new_text) == (found[0].range, "alder")
    await closed(client, MIDT)


def apply(text: str, edit: types.TextEdit) -> str:
    """The text with one edit applied (an insertion or a replacement on one line or more)."""
    lines = text.split("\n")
    offset = [0]
    for line in lines:
        offset.append(offset[-1] + len(line) + 1)
    start = offset[edit.range.start.line] + edit.range.start.character
    end = offset[edit.range.end.line] + edit.range.end.character
    return text[:start] + edit.new_text + text[end:]


async def test_a_code_action_adds_the_facts_an_example_lacks(client: LanguageClient) -> None:
    text = MIDT.read_text(encoding="utf-8")
    first = "eksemplet 'Antibiotika tre gange i døgnet i Codan-mix Add sæt' holder ikke"
    lacking = text.replace("      hjemmet_egnet: true\n", "", 1)  # the example's answer is now unknown
    found = await diagnostics_after(client, MIDT, lambda: open_doc(client, MIDT, lacking))
    [example] = [d for d in found if d.message.startswith(first)]
    assert example.data == {"missing": ["home_suitable"]}
    actions = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=doc_id(MIDT), range=example.range, context=types.CodeActionContext(diagnostics=[example])))
    assert actions is not None and [a.title for a in actions] == [
        "Tilføj de manglende fakta til eksemplet: home_suitable"]
    assert isinstance(actions[0], types.CodeAction) and actions[0].edit and actions[0].edit.changes
    [edit] = actions[0].edit.changes[uri(MIDT)]
    assert edit.new_text == "      hjemmet_egnet: true  # udfyld\n"
    fixed = apply(lacking, edit)
    found = await diagnostics_after(client, MIDT, lambda: change_doc(client, MIDT, fixed, 2))
    assert not [d for d in found if d.message.startswith(first)]
    await closed(client, MIDT)

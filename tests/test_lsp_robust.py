"""``ivrules lsp`` never dies: a request that crashes is answered with an LSP error and logged, a check that
crashes is said on the file, and whatever an editor opens by mistake gives diagnostics or nothing.

The server runs as a subprocess with one fault injected: hover and the check of a file both raise when the
text holds the word HOVERBOOM or CHECKBOOM (standing in for a bug in ivrules).
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

from tests.conftest import AGREEMENTS
from tests.test_lsp import change_doc, closed, diagnostics_after, lsp_command, open_doc, session, uri

MIDT = AGREEMENTS / "midtjylland" / "2020-06-01.yaml"
FAULTS = """
import ivrules.lsp.features as features, ivrules.lsp.server as server
real_hover, real_analyse = features.hover_text, server.analyse
def hover_text(cursor, *args):
    if 'HOVERBOOM' in cursor.text:
        raise RuntimeError('injected hover fault')
    return real_hover(cursor, *args)
def analyse(path, texts, *args):
    if 'CHECKBOOM' in texts.get(str(path.resolve()), ''):
        raise RuntimeError('injected check fault')
    return real_analyse(path, texts, *args)
features.hover_text, server.analyse = hover_text, analyse
"""
pytestmark = pytest.mark.asyncio(loop_scope="module")
client = pytest_lsp.fixture(scope="module", config=ClientServerConfig(server_command=lsp_command(FAULTS)))(session)


def hover_params(path: Path, line: int, character: int) -> types.HoverParams:
    return types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri(path)),
                             position=types.Position(line, character))


async def test_a_request_that_crashes_is_answered_with_an_error_and_logged_and_the_server_goes_on(
        client: LanguageClient) -> None:
    text = MIDT.read_text(encoding="utf-8")
    row = text.split("\n").index("        rule: alder > 3 år")
    await diagnostics_after(client, MIDT, lambda: open_doc(client, MIDT, text.replace("# Region", "# HOVERBOOM", 1)))
    client.log_messages.clear()
    boom = next(i for i, line in enumerate(text.split("\n")) if line.startswith("# Region"))
    with pytest.raises(JsonRpcException, match="injected hover fault"):
        await client.text_document_hover_async(hover_params(MIDT, boom, 3))
    for _ in range(100):  # the log message may follow the answer
        if any("ivrules: en forespørgsel fejlede" in m.message and "injected hover fault" in m.message
               for m in client.log_messages):
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"the failure was not logged to the editor: {client.log_messages}")
    found = await client.text_document_hover_async(hover_params(MIDT, row, 16))  # the next request is answered
    assert found is not None and isinstance(found.contents, types.MarkupContent)
    assert "alder" in found.contents.value
    await closed(client, MIDT)


async def test_a_check_that_crashes_is_said_on_the_file_and_the_next_edit_is_checked(client: LanguageClient) -> None:
    text = MIDT.read_text(encoding="utf-8")
    found = await diagnostics_after(client, MIDT, lambda: open_doc(client, MIDT, text + "# CHECKBOOM\n"))
    assert [d.message for d in found] == ["ivrules kunne ikke tjekke filen (en fejl i ivrules; se loggen)"]
    broken = text.replace("rule: alder > 3 år", "rule: aldr > 3 år")
    found = await diagnostics_after(client, MIDT, lambda: change_doc(client, MIDT, broken, 2))
    assert [d.message.split("\n")[0] for d in found] == ["ukendt faktum 'aldr'"]
    await closed(client, MIDT)


GARBAGE = {
    "binary": "\x7fELF\x02\x01\x01\x00\x00\x00" + "".join(chr(c) for c in range(1, 256)) * 3,
    "not yaml": "sections: [\n  - {number: '1', rules: [\n: : :\n\t\tx",
    "empty": "",
    "half-typed rule": "region: midtjylland\nsections:\n  - number: '1'\n    rules:\n"
                       "      - id: a\n        rule: alder > ",
    "a list at the top": "- 1\n- 2\n",
}


async def every_request(client: LanguageClient, path: Path) -> None:
    """Ask the server everything, at places inside and beyond the text: each answer is an answer, not an error."""
    document = types.TextDocumentIdentifier(uri=uri(path))
    for line, character in [(0, 0), (1, 3), (4, 17), (5, 20), (500, 500)]:
        position = types.Position(line, character)
        await client.text_document_hover_async(types.HoverParams(text_document=document, position=position))
        await client.text_document_completion_async(types.CompletionParams(text_document=document, position=position))
        await client.text_document_definition_async(types.DefinitionParams(text_document=document, position=position))
        await client.text_document_references_async(types.ReferenceParams(
            text_document=document, position=position, context=types.ReferenceContext(include_declaration=True)))
    await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=document))
    everywhere = types.Range(start=types.Position(0, 0), end=types.Position(500, 0))
    await client.text_document_code_action_async(types.CodeActionParams(
        text_document=document, range=everywhere, context=types.CodeActionContext(diagnostics=[])))


@pytest.mark.parametrize("name", GARBAGE)
async def test_garbage_in_an_agreement_file_gives_diagnostics_and_every_request_an_answer(
        client: LanguageClient, name: str) -> None:
    path = AGREEMENTS / "midtjylland" / "2021-05-01.yaml"
    found = await diagnostics_after(client, path, lambda: open_doc(client, path, GARBAGE[name]))
    assert found and all(d.range.start.line >= 0 for d in found)
    await every_request(client, path)
    await closed(client, path)


@pytest.mark.parametrize("name", GARBAGE)
async def test_garbage_outside_the_agreements_gives_nothing_and_every_request_an_answer(
        client: LanguageClient, name: str, tmp_path: Path) -> None:
    """Nothing, unless it has ``sections:`` and so is taken for a draft agreement kept elsewhere."""
    path = tmp_path / "notes.yaml"
    found = await diagnostics_after(client, path, lambda: open_doc(client, path, GARBAGE[name]))
    assert bool(found) == ("sections:" in GARBAGE[name])
    await every_request(client, path)
    await closed(client, path)


async def test_a_file_on_disk_that_is_not_utf8_is_said_on_that_file(client: LanguageClient, tmp_path: Path) -> None:
    folder = tmp_path / "agreements"
    shutil.copytree(AGREEMENTS, folder)
    latin = folder / "sjaelland" / "2021-01-06.yaml"
    data = latin.read_text(encoding="utf-8").encode("latin-1")
    latin.write_bytes(data)
    first = min(i for i, byte in enumerate(data) if byte >= 0x80)
    opened = folder / "midtjylland" / "2020-06-01.yaml"
    open_doc(client, opened, opened.read_text(encoding="utf-8"))
    found = await diagnostics_after(client, latin, lambda: None)
    said = f"filen er ikke gemt som UTF-8 (byte 0x{data[first]:X} kan ikke læses)"
    assert [d.message.split("\n")[0] for d in found] == [said]
    assert found[0].range.start.line == data[:first].count(b"\n")  # on the line of the first bad byte
    await every_request(client, latin)
    await closed(client, opened)

"""Hover, completion, go to definition, references, document symbols and code actions, registered on the server."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pygls import uris

from ivrules.lsp.actions import add_facts
from ivrules.lsp.complete import Choice, choices
from ivrules.lsp.cursor import Cursor
from ivrules.lsp.hover import hover_text
from ivrules.lsp.navigate import Place, definition, references
from ivrules.lsp.outline import Symbol, outline
from ivrules.lsp.server import AgreementServer, server

KINDS = {"fact": types.CompletionItemKind.Variable, "value": types.CompletionItemKind.EnumMember,
         "unit": types.CompletionItemKind.Unit, "keyword": types.CompletionItemKind.Keyword,
         "id": types.CompletionItemKind.Reference, "key": types.CompletionItemKind.Property}


def source_of(ls: AgreementServer, uri: str) -> str:
    """The document's text as the editor holds it; for one it has not opened, the disk's, or nothing."""
    try:
        return ls.workspace.get_text_document(uri).source
    except (OSError, UnicodeDecodeError):  # not UTF-8 on disk, gone, or not a file at all
        return ""


def cursor_of(ls: AgreementServer, uri: str, position: types.Position) -> Cursor:
    return Cursor.at(source_of(ls, uri), position.line, position.character)


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: AgreementServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    cursor = cursor_of(ls, uri, params.position)
    snapshot = ls.snapshot(uri)
    vocab = snapshot.model.vocabulary if snapshot and snapshot.model else None
    agreement = snapshot.agreement(uris.to_fs_path(uri) or "") if snapshot else None
    text = hover_text(cursor, vocab, agreement)
    word = cursor.word()
    if text is None or word is None:
        return None
    where = types.Range(start=types.Position(cursor.line, word[1]), end=types.Position(cursor.line, word[2]))
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=where)


@server.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=[" ", "{", ",", "=", ":"]))
def completion(ls: AgreementServer, params: types.CompletionParams) -> types.CompletionList:
    uri = params.text_document.uri
    cursor = cursor_of(ls, uri, params.position)
    snapshot = ls.snapshot(uri)
    vocab = snapshot.model.vocabulary if snapshot and snapshot.model else None
    items = [completion_item(c, i) for i, c in enumerate(choices(cursor, vocab, "\n".join(cursor.lines)))]
    return types.CompletionList(is_incomplete=False, items=items)


def completion_item(choice: Choice, order: int) -> types.CompletionItem:
    return types.CompletionItem(
        label=choice.label, detail=choice.detail, kind=KINDS[choice.kind], sort_text=f"{order:04d}",
        insert_text=choice.insert,
        insert_text_format=types.InsertTextFormat.Snippet if choice.snippet else types.InsertTextFormat.PlainText)


def _range(start: tuple[int, int], end: tuple[int, int]) -> types.Range:
    return types.Range(start=types.Position(*start), end=types.Position(*end))


def _navigation(ls: AgreementServer, params: types.DefinitionParams | types.ReferenceParams) -> tuple[Cursor, str, str]:
    uri = params.text_document.uri
    return cursor_of(ls, uri, params.position), uris.to_fs_path(uri) or "", source_of(ls, uri)


def _locations(places: list[Place]) -> list[types.Location]:
    return [types.Location(uri=uris.from_fs_path(p.path) or p.path, range=_range(p.start, p.end)) for p in places]


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def goto_definition(ls: AgreementServer, params: types.DefinitionParams) -> list[types.Location]:
    cursor, path, text = _navigation(ls, params)
    return _locations(definition(cursor, str(Path(path).resolve()), text, ls.snapshot(params.text_document.uri)))


@server.feature(types.TEXT_DOCUMENT_REFERENCES)
def find_references(ls: AgreementServer, params: types.ReferenceParams) -> list[types.Location]:
    cursor, path, text = _navigation(ls, params)
    return _locations(references(cursor, str(Path(path).resolve()), text, ls.snapshot(params.text_document.uri)))


SYMBOL_KINDS = {"section": types.SymbolKind.Namespace, "rule": types.SymbolKind.Function,
                "part": types.SymbolKind.Module, "item": types.SymbolKind.Constant}


def _document_symbol(symbol: Symbol) -> types.DocumentSymbol:
    where = _range(symbol.start, symbol.end)
    return types.DocumentSymbol(name=symbol.name, kind=SYMBOL_KINDS[symbol.kind], range=where, selection_range=where,
                                detail=symbol.detail or None,
                                children=[_document_symbol(c) for c in symbol.children])


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(ls: AgreementServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
    uri = params.text_document.uri
    return [_document_symbol(s) for s in outline(uri, source_of(ls, uri))]


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_actions(ls: AgreementServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """For each diagnostic in the range: its "mente du 'X'?" as the edit that writes X, and for an example
    whose answer lacks facts, the edit that adds them to its ``facts:`` with a value to fill in."""
    out = []
    for diagnostic in params.context.diagnostics:
        data = diagnostic.data if isinstance(diagnostic.data, dict) else {}
        suggestion, missing = data.get("suggestion"), data.get("missing")
        if isinstance(suggestion, str):
            out.append(_action(f"Ret til '{suggestion}'", params.text_document.uri, diagnostic,
                               types.TextEdit(range=diagnostic.range, new_text=suggestion)))
        if isinstance(missing, list) and missing:
            edit = _add_facts(ls, params.text_document.uri, diagnostic, [str(m) for m in missing])
            if edit is not None:
                title = f"Tilføj de manglende fakta til eksemplet: {', '.join(str(m) for m in missing)}"
                out.append(_action(title, params.text_document.uri, diagnostic, edit))
    return out


def _action(title: str, uri: str, diagnostic: types.Diagnostic, edit: types.TextEdit) -> types.CodeAction:
    return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                            is_preferred=True, edit=types.WorkspaceEdit(changes={uri: [edit]}))


def _add_facts(ls: AgreementServer, uri: str, diagnostic: types.Diagnostic, names: list[str]) -> types.TextEdit | None:
    snapshot = ls.snapshot(uri)
    vocab = snapshot.model.vocabulary if snapshot and snapshot.model else None
    found = add_facts(source_of(ls, uri), diagnostic.range.start.line, names, vocab)
    if found is None:
        return None
    line, text = found
    return types.TextEdit(range=_range((line, 0), (line, 0)), new_text=text)

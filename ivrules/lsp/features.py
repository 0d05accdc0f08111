"""Hover, completion, go to definition, references, document symbols and code actions, registered on the server."""

from __future__ import annotations

from lsprotocol import types
from pygls import uris

from ivrules.lsp.complete import Choice, choices
from ivrules.lsp.cursor import Cursor
from ivrules.lsp.hover import hover_text
from ivrules.lsp.server import AgreementServer, server

KINDS = {"fact": types.CompletionItemKind.Variable, "value": types.CompletionItemKind.EnumMember,
         "unit": types.CompletionItemKind.Unit, "keyword": types.CompletionItemKind.Keyword,
         "id": types.CompletionItemKind.Reference, "key": types.CompletionItemKind.Property}


def cursor_of(ls: AgreementServer, uri: str, position: types.Position) -> Cursor:
    document = ls.workspace.get_text_document(uri)
    return Cursor.at(document.source, position.line, position.character)


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

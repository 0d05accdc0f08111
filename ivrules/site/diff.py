"""The site's "Ændringer" pages: what changed from each revision of a region's agreement to the next.

Listed in ``ivrules.site.build.PAGES``, so the pages are built with the rest of the
site from the same agreement files. The cases and their counts are those of
``ivrules diff`` with its defaults (the same deterministic search), so a page is
the same every time it is built and says what the CLI says.
"""

from __future__ import annotations

from collections.abc import Iterator

from ivrules import danish
from ivrules.diff.report import to_markdown
from ivrules.diff.revisions import diff, revision_pairs
from ivrules.site.render import Context, Page, markdown_inline, revision_path, revision_title
from ivrules.site.sources import address, cite

CHANGES = "aendringer"


def change_pages(ctx: Context) -> Iterator[Page]:
    """One page per consecutive pair of revisions, under the newer revision."""
    for region in ctx.book.regions:
        for old, new in revision_pairs(ctx.book, region):
            result = diff(old, new)
            title = (f"Ændringer fra udgaven af {danish.date(old.agreement.effective)} "
                     f"til udgaven af {danish.date(new.agreement.effective)}")
            yield Page(revision_path(new.agreement, CHANGES),
                       to_markdown(result, escape=lambda text: _cited(ctx, text), title_text=title),
                       (ctx.region_name(region), revision_title(new.agreement), "Ændringer"))


def _cited(ctx: Context, text: str) -> str:
    """Text in a table cell of the page, each source it cites by a key named and linked."""
    return cite(markdown_inline(text), ctx.sources, lambda source: address(source, "../../../"))

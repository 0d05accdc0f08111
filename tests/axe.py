"""axe-core in the browser tests: WCAG 2.1 A and AA, loaded from tests/a11y (npm, pinned), never from the network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE = Path(__file__).parent / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def violations(driver: Any) -> list[str]:
    """Each WCAG 2.1 A/AA violation on the page the driver shows, as 'rule: selector, …' lines."""
    assert AXE.is_file(), f"{AXE} mangler: kør scripts/setup --browser"
    if not driver.execute_script("return typeof window.axe === 'object'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(60)
    found = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))"
        ".catch(e => done(['axe: ' + e]));", TAGS)
    return list(found)

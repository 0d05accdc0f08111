"""One smoke test in a real editor: headless Neovim, configured with the README's snippet, opens a broken agreement
and reports the diagnostic from ``ivrules lsp``.

The workspace is a copy of ``agreements/`` with the README's ``.venv/bin/ivrules`` standing for this checkout's
``ivrules`` (the test's Python), so the test runs the same on a developer's machine and in CI, where
``scripts/setup --browser`` installs Debian's ``neovim``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AGREEMENTS, ROOT

NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None, reason="nvim is not installed (scripts/setup --browser installs "
                                                     "Debian's neovim)")

CHECK = """
local out = vim.fn.argv(0) .. ".diagnostics"
vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 100)
local lines = {}
for _, d in ipairs(vim.diagnostic.get(0)) do
  table.insert(lines, string.format("%d:%d:%s:%s", d.lnum, d.col, d.source or "", (d.message:gsub("\\n", " | "))))
end
vim.fn.writefile(lines, out)
vim.cmd("qa!")
"""


def readme_snippet() -> str:
    """The Lua the README tells a Neovim user to put in their configuration."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    [snippet] = [s for s in re.findall(r"```lua\n(.*?)```", readme, re.DOTALL) if "vim.lsp" in s]
    return snippet


def workspace(tmp_path: Path) -> Path:
    """A copy of the agreements with the README's ``.venv/bin/ivrules``, which runs this checkout's ``ivrules``."""
    shutil.copytree(AGREEMENTS, tmp_path / "agreements")
    command = tmp_path / ".venv" / "bin" / "ivrules"
    command.parent.mkdir(parents=True)
    command.write_text(f"#!/bin/sh\nexec {sys.executable} -c \"import sys; sys.path.insert(0, '{ROOT}'); "
                       f"sys.argv = ['ivrules'] + sys.argv[1:]; from ivrules.cli import main; main()\" \"$@\"\n")
    command.chmod(0o755)
    return tmp_path


def test_neovim_with_the_readme_configuration_shows_the_diagnostic(tmp_path: Path) -> None:
    root = workspace(tmp_path)
    broken = root / "agreements" / "midtjylland" / "2020-06-01.yaml"
    text = broken.read_text(encoding="utf-8")
    broken.write_text(text.replace("rule: alder > 3 år", "rule: aldr > 3 år"), encoding="utf-8")
    at = text.index("rule: alder > 3 år")  # the misspelt term's place, counted from 0 as Neovim does
    where = (text.count("\n", 0, at), at - text.rfind("\n", 0, at) - 1 + len("rule: "))
    (root / "init.lua").write_text(readme_snippet(), encoding="utf-8")
    (root / "check.lua").write_text(CHECK, encoding="utf-8")
    assert NVIM is not None
    run = subprocess.run([NVIM, "--headless", "--clean", "--cmd", "luafile init.lua", "-c", "luafile check.lua",
                          str(broken)], cwd=root, capture_output=True, text=True, timeout=90, stdin=subprocess.DEVNULL)
    report = Path(f"{broken}.diagnostics")
    assert report.exists(), f"Neovim wrote no report: {run.stdout}\n{run.stderr}"
    lines = report.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1, lines
    line, column, source, message = lines[0].split(":", 3)
    assert (int(line), int(column), source) == (*where, "ivrules")
    assert message.startswith("ukendt faktum 'aldr'") and "mente du 'alder'?" in message

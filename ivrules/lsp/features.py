"""Hover, completion, go to definition, references, document symbols and code actions."""

from __future__ import annotations

"""The fenced code blocks of a Markdown file, for tests that run what the docs show.

A block may be preceded, on the line just above its fence, by ``<!-- readme-test: NOTE -->``:
a note for the test that runs it (such as "not run (...)" or "in the background (...)").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Block", "fenced_blocks"]

_FENCE = re.compile(
    r"^(?:<!-- readme-test: (?P<note>[^\n]*?) -->\n)?"
    r"```(?P<lang>[\w+-]*)\n(?P<body>.*?)^```[ \t]*$",
    re.MULTILINE | re.DOTALL,
)


@dataclass(frozen=True)
class Block:
    """One fenced block: its info string, text, the test note above it, and its line."""

    lang: str
    body: str
    note: str | None
    line: int


def fenced_blocks(path: Path) -> list[Block]:
    """Every fenced block of ``path``, in order."""
    text = path.read_text()
    return [
        Block(
            lang=m.group("lang"),
            body=m.group("body"),
            note=m.group("note"),
            line=text.count("\n", 0, m.start("body")) + 1,
        )
        for m in _FENCE.finditer(text)
    ]

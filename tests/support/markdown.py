"""Reading Markdown pages as tests/docs/ does: command lines, links and headings.

A command line is a line of a fenced `sh`, `bash`, `shell` or `console` block (in `console`, a
line after a `$ ` prompt), or of an unlabelled block in which some line starts with a command
word, or an inline code span that starts with one. Lines continued with a trailing backslash
are joined and `# comments` dropped. A line of a command block that starts with no command word
is returned apart, as a stray, so that the test can fail on it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

COMMAND_WORD = re.compile(
    r"^(?:[A-Za-z_]\w*=\S*\s+)*"  # NAME=value assignments before the command
    r"(?:make|smartcity|\.venv/bin/[\w.-]+|python3?|pytest|curl|export|bash|sh)(?=\s|$)"
)
SHELL_LABELS = frozenset({"sh", "bash", "shell", "console"})
_FENCE = re.compile(r"\s*(`{3,}|~{3,})\s*([\w+-]*)")


@dataclass(frozen=True)
class Line:
    """A command line as a page writes it, and where (`page:line`)."""

    text: str
    where: str
    inline: bool


def read_commands(text: str, name: str) -> tuple[list[Line], list[Line]]:
    """The command lines of a page, and the lines of its command blocks that are not commands."""
    commands: list[Line] = []
    strays: list[Line] = []
    lines = text.splitlines()
    for label, body in _fenced_blocks(lines):
        if label in SHELL_LABELS or (
            not label and any(COMMAND_WORD.match(line.strip()) for _, line in body)
        ):
            for number, line in _logical_lines(body, console=label == "console"):
                found = Line(line, f"{name}:{number}", inline=False)
                (commands if COMMAND_WORD.match(line) else strays).append(found)
    page = without_fences(text)
    for span in re.finditer(r"(?<!`)`([^`]+)`(?!`)", page):
        code = " ".join(span.group(1).split())
        if "\n\n" not in span.group(1) and COMMAND_WORD.match(code):
            number = page.count("\n", 0, span.start()) + 1
            commands.append(Line(code, f"{name}:{number}", inline=True))
    return commands, strays


def without_fences(text: str) -> str:
    """The page with the lines of its fenced blocks blanked (line numbers kept)."""
    lines = text.splitlines()
    for start, end in _fence_spans(lines):
        for number in range(start, min(end, len(lines) - 1) + 1):
            lines[number] = ""
    return "\n".join(lines)


def links(text: str) -> list[str]:
    """The targets of the page's inline links, outside code blocks."""
    return re.findall(r"\]\(([^)\s]+)\)", without_fences(text))


def anchors(text: str) -> set[str]:
    """The fragment ids a renderer gives the page's headings (GitHub's rule)."""
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", without_fences(text), flags=re.MULTILINE):
        slug = "".join(
            char
            for char in heading.strip().lower()
            if char in " -_" or unicodedata.category(char)[0] in "LN"
        ).replace(" ", "-")
        taken, number = slug, 0
        while taken in found:
            number += 1
            taken = f"{slug}-{number}"
        found.add(taken)
    return found


def _fence_spans(lines: list[str]) -> Iterator[tuple[int, int]]:
    """(opening, closing) line indexes of each fenced block; an unclosed one closes past the end."""
    start = 0
    while start < len(lines):
        opening = _FENCE.match(lines[start])
        if not opening:
            start += 1
            continue
        fence = opening.group(1)
        end = start + 1
        closing = re.compile(rf"\s*{re.escape(fence[0])}{{{len(fence)},}}\s*")
        while end < len(lines) and not closing.fullmatch(lines[end]):
            end += 1
        yield start, end
        start = end + 1


def _fenced_blocks(lines: list[str]) -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """(label, [(line number, line)]) of each fenced block."""
    for start, end in _fence_spans(lines):
        opening = _FENCE.match(lines[start])
        assert opening
        body = [(number + 1, lines[number]) for number in range(start + 1, end)]
        yield opening.group(2).lower(), body


def _logical_lines(body: list[tuple[int, str]], *, console: bool) -> Iterator[tuple[int, str]]:
    """Lines with continuations joined and comments dropped; in a console block, the commands."""
    pending: tuple[int, str] | None = None
    for number, raw in body:
        line = raw.strip()
        first = number
        if pending is not None:
            first, line = pending[0], f"{pending[1]} {line}"
            pending = None
        elif console:
            if not line.startswith("$ "):
                continue  # the command's output
            line = line[2:]
        if line.endswith("\\"):
            pending = (first, line[:-1].rstrip())
            continue
        line = _without_comment(line).strip()
        if line:
            yield first, " ".join(line.split())


def _without_comment(line: str) -> str:
    """The line up to a shell comment (a `#` that starts a word, outside quotes)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index]
    return line

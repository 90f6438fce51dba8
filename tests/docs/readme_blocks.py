"""The README's shell blocks, and what the README says about running each one.

A block runs as written unless the HTML comment on the line before it says
otherwise:

- ``<!-- readme-test: skip: REASON -->``: not run here, for the reason given
  (it installs software, posts to the internet, or runs for ever);
- ``<!-- readme-test: background URL -->``: a server a reader starts in another
  terminal; it is started in the background and the next block waits until
  URL answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_BLOCK = re.compile(
    r"(?:<!-- readme-test: (?P<marker>[^\n]*?) -->\n)?```sh\n(?P<body>.*?)```", re.DOTALL
)


@dataclass(frozen=True)
class Block:
    """One ```sh block of the README."""

    line: int
    body: str
    skip_reason: str | None = None
    wait_for: str | None = None


def blocks(readme: Path) -> list[Block]:
    """Every ```sh block of ``readme``, in order, with its marker."""
    text = readme.read_text(encoding="utf-8")
    found = []
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("body"))
        marker = match.group("marker") or ""
        skip = wait = None
        if marker.startswith("skip: "):
            skip = marker.removeprefix("skip: ").strip()
        elif marker.startswith("background "):
            wait = marker.removeprefix("background ").strip()
        elif marker:
            raise ValueError(f"README line {line}: unknown readme-test marker {marker!r}")
        found.append(Block(line, match.group("body"), skip, wait))
    return found


def script(found: list[Block], ports: dict[int, int]) -> str:
    """One bash script running the blocks in order, as a reader would in one
    shell (variables carry over), with the README's ports replaced by ``ports``.

    Background servers stop when the script ends (``kill 0`` on exit).
    """
    lines = [
        "set -euo pipefail",
        # On exit, stop the background servers (the whole process group) but
        # keep the script's own exit status.
        "trap 'trap \"\" TERM; kill 0 2>/dev/null' EXIT",
        "wait_for() {",
        '  for _ in $(seq 1 600); do curl -fsS -o /dev/null "$1" && return 0; sleep 0.2; done',
        '  echo "gave up waiting for $1" >&2; return 1',
        "}",
    ]
    for number, block in enumerate(found):
        if block.skip_reason:
            continue
        body = block.body
        for readme_port, free_port in ports.items():
            body = body.replace(f"{readme_port}", f"{free_port}")
        lines.append(f'echo "== README block at line {block.line}" >&2')
        if block.wait_for:
            url = block.wait_for
            for readme_port, free_port in ports.items():
                url = url.replace(f"{readme_port}", f"{free_port}")
            lines.append(f"( {body.strip()} ) > background-{number}.log 2>&1 &")
            lines.append(f"wait_for {url}")
        else:
            lines.append(body)
    return "\n".join(lines) + "\n"

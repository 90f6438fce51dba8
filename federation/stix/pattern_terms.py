"""The comparisons a STIX 2.1 pattern makes, as (object type, path, operator, literals).

Routing asks which addresses a pattern names. The common shapes
("[ipv4-addr:value = '198.51.100.7' OR ...]") are read by a linear scanner;
anything else goes to stix2-patterns' parser, whose ANTLR grammar costs about
a millisecond per pattern. A pattern neither can read names nothing: patterns
were validated on the way in, so this only happens to hostile input (e.g.
nesting deep enough to exhaust the parser's recursion).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from stix2patterns.v21.pattern import Pattern

from federation.stix.patterns import MAX_PATTERN_LENGTH

# Same bounds as the validator's cache: feeds re-send the same indicators.
_CACHEABLE_LENGTH = 1024
_CACHE_SIZE = 4096

_COMPARISON = re.compile(
    r"(?P<type>[a-z][a-z0-9-]*):(?P<path>[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)"
    r" *(?P<op>=|!=) *(?:'(?P<literal>[^'\\]*)'|(?P<number>-?[0-9]+))",
    re.ASCII,
)
_JOIN = re.compile(r" +(?:AND|OR) +", re.ASCII)
_OBSERVATION_JOIN = re.compile(r" +(?:AND|OR|FOLLOWEDBY) +", re.ASCII)
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


@dataclass(frozen=True, slots=True)
class Comparison:
    """One comparison expression: ``<object_type>:<path> <operator> <literals>``.

    ``path`` holds property names; a list index (``[*]`` or ``[0]``) appears as
    ``"[]"``. ``literals`` has one value, or several for ``IN``; strings lose
    their quotes, integers are ``int``.
    """

    object_type: str
    path: tuple[str, ...]
    operator: str
    literals: tuple[str | int, ...]


def pattern_comparisons(pattern: str) -> tuple[Comparison, ...]:
    """Every comparison in ``pattern``, or ``()`` if it cannot be read. Never raises."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return ()
    if len(pattern) <= _CACHEABLE_LENGTH:
        return _cached_comparisons(pattern)
    return _comparisons(pattern)


def _comparisons(pattern: str) -> tuple[Comparison, ...]:
    simple = _simple_comparisons(pattern)
    if simple is not None:
        return simple
    return _parsed_comparisons(pattern)


_cached_comparisons = lru_cache(maxsize=_CACHE_SIZE)(_comparisons)


def _simple_comparisons(pattern: str) -> tuple[Comparison, ...] | None:
    """The comparisons of a pattern of plain ``=``/``!=`` tests, or None for any other shape."""
    found: list[Comparison] = []
    pos, end = 0, len(pattern)
    while True:  # one observation "[...]" per pass
        if not pattern.startswith("[", pos):
            return None
        pos += 1
        while True:  # one comparison per pass
            match = _COMPARISON.match(pattern, pos)
            if match is None:
                return None
            literal: str | int = (
                match["literal"] if match["literal"] is not None else int(match["number"])
            )
            path = tuple(match["path"].split("."))
            found.append(Comparison(match["type"], path, match["op"], (literal,)))
            pos = match.end()
            join = _JOIN.match(pattern, pos)
            if join is None:
                break
            pos = join.end()
        if not pattern.startswith("]", pos):
            return None
        pos += 1
        if pos == end:
            return tuple(found)
        join = _OBSERVATION_JOIN.match(pattern, pos)
        if join is None:
            return None
        pos = join.end()


def _parsed_comparisons(pattern: str) -> tuple[Comparison, ...]:
    try:
        data = Pattern(pattern).inspect()
    except Exception:
        # Hostile or broken input (RecursionError included) names nothing; it
        # must not fail the ingest here.
        return ()
    found: list[Comparison] = []
    for object_type, comparisons in data.comparisons.items():
        for raw_path, operator, raw_value in comparisons:
            path = tuple(p if isinstance(p, str) else "[]" for p in raw_path)
            found.append(Comparison(object_type, path, operator, _literals(raw_value)))
    return tuple(found)


def _literals(raw: str) -> tuple[str | int, ...]:
    """Literal text as stix2-patterns returns it: ``'x'``, ``('a', 'b')``, ``42``."""
    text = raw.strip()
    if text.startswith("("):
        return tuple(_QUOTED.findall(text))
    if text.startswith("'") and text.endswith("'") and len(text) >= 2:
        return (text[1:-1],)
    try:
        return (int(text),)
    except ValueError:
        return ()

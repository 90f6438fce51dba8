"""STIX 2.1 pattern checking: a fast path for the common shapes, stix2-patterns for the rest."""

from __future__ import annotations

import re
from functools import lru_cache

from stix2patterns.validator import run_validator

# The ANTLR-based validator costs 0.5-1 ms per pattern, which alone would cap
# ingest at 1,000-2,000 indicators/s per core; and its time grows with length,
# so hostile input must be bounded before it gets there.
MAX_PATTERN_LENGTH = 64 * 1024
# Patterns this short are remembered (feeds re-send the same indicators), so
# the cache holds at most _CACHE_SIZE * _CACHEABLE_LENGTH characters.
_CACHEABLE_LENGTH = 1024
_CACHE_SIZE = 4096
# run_validator's own messages quote the input; keep them short.
_MESSAGE_LIMIT = 100

# The fast path recognises observations "[<comparison>]" joined by AND or OR,
# each holding comparisons "<type>:<path> = '<literal>'" joined by AND or OR,
# for a fixed set of object types and paths: shapes the grammar certainly
# accepts in any combination.  It only ever answers "valid": anything it does
# not recognise, and any hash it finds suspicious, goes to the full validator,
# so it cannot accept a pattern that stix2-patterns would reject
# (tests/unit/test_stix_validate.py checks that the two agree).  Literals may
# not contain quotes or backslashes on this path.
_COMPARISON = re.compile(
    r"(?P<type>[a-z][a-z0-9-]*):(?P<path>value|name|hashes\.'[A-Z0-9-]+'|hashes\.[A-Z0-9]+)"
    r" *(?:=|!=) *'(?P<literal>[^'\\]*)'",
    re.ASCII,
)
_JOIN = re.compile(r" +(?:AND|OR) +", re.ASCII)
_SIMPLE_TYPES = frozenset(
    {
        "artifact",
        "directory",
        "domain-name",
        "email-addr",
        "file",
        "ipv4-addr",
        "ipv6-addr",
        "mac-addr",
        "mutex",
        "software",
        "url",
        "x509-certificate",
    }
)
# Hash names as stix2-patterns normalises them (upper case, no "-" or quotes),
# with the hex digest length it demands for each.
_HASH_LENGTHS = {"MD5": 32, "SHA1": 40, "SHA256": 64, "SHA512": 128}
_HEX = re.compile(r"[0-9a-fA-F]+", re.ASCII)


def _is_simple_comparison(match: re.Match[str]) -> bool:
    if match["type"] not in _SIMPLE_TYPES:
        return False
    path = match["path"]
    if not path.startswith("hashes."):
        return True
    name = path[len("hashes.") :].replace("'", "").replace("-", "")
    literal = match["literal"]
    return _HASH_LENGTHS.get(name) == len(literal) and _HEX.fullmatch(literal) is not None


def _is_simple_valid(pattern: str) -> bool:
    # A hand-rolled scanner rather than one big regex, so that every
    # comparison's hash can be checked as it is found.  Linear in the length.
    pos, end = 0, len(pattern)
    while True:  # one observation "[...]" per pass
        if not pattern.startswith("[", pos):
            return False
        pos += 1
        while True:  # one comparison per pass
            comparison = _COMPARISON.match(pattern, pos)
            if comparison is None or not _is_simple_comparison(comparison):
                return False
            pos = comparison.end()
            join = _JOIN.match(pattern, pos)
            if join is None:
                break
            pos = join.end()
        if not pattern.startswith("]", pos):
            return False
        pos += 1
        if pos == end:
            return True
        join = _JOIN.match(pattern, pos)
        if join is None:
            return False
        pos = join.end()


def _full_check(pattern: str) -> str | None:
    try:
        errors = run_validator(pattern, stix_version="2.1")
    except RecursionError:
        # The parser and tree walker recurse once per nested term; very long
        # OR chains exhaust the interpreter's stack.
        return "is too deeply nested to validate"
    except Exception as exc:
        # A crash inside the validator (e.g. on "") must not become a 500.
        return f"could not be parsed ({type(exc).__name__})"
    if not errors:
        return None
    first = str(errors[0]).removeprefix("FAIL: ")
    if len(first) > _MESSAGE_LIMIT:
        first = first[:_MESSAGE_LIMIT] + "..."
    return f"is not a valid STIX pattern: {first}"


_cached_full_check = lru_cache(maxsize=_CACHE_SIZE)(_full_check)


def stix_pattern_problem(pattern: str) -> str | None:
    """Say what is wrong with a STIX 2.1 pattern, or return None if it is valid.

    The answer completes the sentence "'pattern' ...", e.g. "is not a valid
    STIX pattern: Error found at line 1:4. ...".  Never raises.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"is longer than {MAX_PATTERN_LENGTH} characters"
    if not pattern.strip():
        return "must not be empty"
    if _is_simple_valid(pattern):
        return None
    if len(pattern) <= _CACHEABLE_LENGTH:
        return _cached_full_check(pattern)
    return _full_check(pattern)

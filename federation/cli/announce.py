"""Whether commands name their database on stderr, kept apart so that setting it
imports nothing heavy (``federation --help`` stays quick)."""

from __future__ import annotations

from contextvars import ContextVar

# Set by the console script: an operator at a terminal is told which database
# a command uses. In-process invocations (tests, embedding) keep stderr quiet.
ANNOUNCE_DATABASE: ContextVar[bool] = ContextVar("announce_database", default=False)

"""Signing people in: password hashes, lock-out, session lifetimes, TOTP codes.

Pure rules, no Flask and no database: the service applies them to rows. Passwords
are hashed with argon2id (RFC 9106) through argon2-cffi, whose defaults follow
the RFC's second recommended profile.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1000
TOTP_ISSUER = "Federation"

_hasher = PasswordHasher()


@dataclass(frozen=True, slots=True)
class SigninPolicy:
    """How long sessions live and when failed sign-ins lock an account."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    lock_threshold: int = 10
    lock_duration: timedelta = timedelta(minutes=15)


def password_problem(password: str) -> str | None:
    """Why ``password`` cannot be used, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Use at least {MIN_PASSWORD_LENGTH} characters."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Use at most {MAX_PASSWORD_LENGTH} characters."
    if "\x00" in password:
        return "A password cannot contain NUL characters."
    return None


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` with a fresh salt."""
    return _hasher.hash(password)


def password_matches(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``.

    Without a stored hash a dummy one is checked, so an account without a
    password takes as long to refuse as one with a wrong password.
    """
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(stored_hash)


_DUMMY_HASH = _hasher.hash("a password nobody has")


def is_locked(locked_until: datetime | None, now: datetime) -> bool:
    """Whether an account's sign-ins are refused at ``now``."""
    return locked_until is not None and now < locked_until


def lock_after_failure(failures: int, now: datetime, policy: SigninPolicy) -> datetime | None:
    """When an account with ``failures`` consecutive failures unlocks, if it is locked."""
    if failures >= policy.lock_threshold:
        return now + policy.lock_duration
    return None


def session_alive(
    created_at: datetime, last_seen_at: datetime, now: datetime, policy: SigninPolicy
) -> bool:
    """Whether a console session is within its idle and absolute timeouts."""
    return now - last_seen_at < policy.idle and now - created_at < policy.absolute


def new_totp_secret() -> str:
    """A random base32 TOTP secret (160 bits, RFC 4226's recommendation)."""
    return pyotp.random_base32(32)


def totp_uri(secret: str, account: str) -> str:
    """The otpauth:// URI an authenticator app reads from a QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=TOTP_ISSUER)


def totp_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` is valid for at ``now`` (one step of clock drift
    either way), or None. A code of a step already used is refused, so a code
    seen over someone's shoulder cannot be replayed."""
    code = code.strip().replace(" ", "")
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected, code) and (last_step is None or step > last_step):
            return step
    return None

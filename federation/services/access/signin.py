"""People signing in to the console with a password and, optionally, a TOTP code.

A signed-in browser holds a random session secret; the database holds its
keyed hash (like API tokens), so signing out, or disabling the account, ends the
session on every worker at once. Failed sign-ins are counted in the database
for the same reason: every worker sees the same count and the same lock-out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from federation.domain import signin as rules
from federation.domain.errors import NotFoundError, UnauthenticatedError, UnprocessableError
from federation.domain.sealing import fernet_for
from federation.domain.signin import SigninPolicy
from federation.domain.tokens import token_digest
from federation.domain.visibility import Viewer
from federation.services.access import audit
from federation.services.access.accounts import account_named, viewer_for
from federation.storage.base import utcnow
from federation.storage.database import begin_write
from federation.storage.models import Account, ConsoleSession, Credential, SigninRequirement

_TOTP_PURPOSE = b"federation console totp secret"
# The one message for a wrong account name or a wrong password: which part was
# wrong is none of the caller's business.
WRONG_CREDENTIALS = "The account name or the password is not right."


class SigninError(UnauthenticatedError):
    """A sign-in was refused; the message is meant for the person signing in."""


class LockedError(SigninError):
    """Too many failed sign-ins: the account is locked for a while."""


class SecondFactorNeededError(SigninError):
    """The password was right, and a TOTP code is needed too."""


@dataclass(frozen=True, slots=True)
class Enrolment:
    """A TOTP secret waiting for its first code, and the URI for the QR code."""

    secret: str
    uri: str


def set_password(session: Session, viewer: Viewer, name: str, password: str) -> None:
    """Set ``name``'s password (the operator at the CLI, or the account itself).

    Every session of the account ends: whoever knew the old password is out.
    """
    problem = rules.password_problem(password)
    if problem:
        raise UnprocessableError(problem, details={"password": [problem]})
    begin_write(session)
    account = account_named(session, name)
    credential = _credential(session, account.id)
    credential.password_hash = rules.hash_password(password)
    credential.password_changed_at = utcnow()
    credential.failed_signins = 0
    credential.locked_until = None
    _end_sessions(session, account.id)
    audit.record(session, viewer, "account.password", detail=f"account {account.name!r}")


def change_password(
    session: Session, viewer: Viewer, current: str, new: str, keep_digest: str
) -> None:
    """The signed-in person changes their own password; their other sessions end."""
    credential = session.get(Credential, viewer.account_id)
    if credential is None or not rules.password_matches(credential.password_hash, current):
        raise UnprocessableError(
            "the current password is not right",
            details={"current_password": ["This is not your current password."]},
        )
    problem = rules.password_problem(new)
    if problem:
        raise UnprocessableError(problem, details={"new_password": [problem]})
    begin_write(session)
    credential = _credential(session, viewer.account_id)
    credential.password_hash = rules.hash_password(new)
    credential.password_changed_at = utcnow()
    _end_sessions(session, viewer.account_id, keep_digest=keep_digest)
    audit.record(session, viewer, "console.password.change", detail="own password")


def sign_in(
    session: Session,
    secret_key: str,
    name: str,
    password: str,
    totp: str,
    policy: SigninPolicy,
    now: datetime | None = None,
) -> str:
    """Check a person's credentials and open a session; return its secret.

    A wrong password or code counts as a failure; the failure that reaches the
    policy's threshold locks the account, and a locked account refuses even the
    right password until the lock ends.
    """
    now = now or utcnow()
    begin_write(session)
    account = session.scalar(select(Account).where(Account.name == name))
    credential = session.get(Credential, account.id) if account is not None else None
    stored_hash = credential.password_hash if credential is not None else None
    # Always verify, even for an unknown account, so timing does not tell.
    password_ok = rules.password_matches(stored_hash, password)
    if account is None or credential is None:
        session.rollback()
        raise SigninError(WRONG_CREDENTIALS)
    if rules.is_locked(credential.locked_until, now):
        session.commit()
        raise LockedError(_locked_message(credential.locked_until))
    if not password_ok or account.disabled:
        _fail(session, credential, now, policy)
        raise SigninError(WRONG_CREDENTIALS)
    if credential.totp_enabled and credential.totp_secret:
        if not totp.strip():
            session.rollback()
            raise SecondFactorNeededError("Enter the 6-digit code from your authenticator app.")
        secret = _unseal_totp(secret_key, credential.totp_secret)
        step = rules.totp_step(secret, totp, now, credential.totp_last_step)
        if step is None:
            _fail(session, credential, now, policy)
            raise SigninError("The code is not right, or it was used already.")
        credential.totp_last_step = step
    if stored_hash is not None and rules.needs_rehash(stored_hash):
        credential.password_hash = rules.hash_password(password)
    credential.failed_signins = 0
    credential.locked_until = None
    secret_value = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            digest=token_digest(secret_key, secret_value),
            account_id=account.id,
            created_at=now,
            last_seen_at=now,
        )
    )
    audit.record(session, viewer_for(account), "console.signin")
    return secret_value


def totp_required(session: Session, viewer: Viewer) -> bool:
    """Whether the viewer's organisation requires a second factor it has not set up."""
    requirement = session.get(SigninRequirement, viewer.organisation_id)
    if requirement is None or not requirement.require_totp:
        return False
    credential = session.get(Credential, viewer.account_id)
    return credential is None or not credential.totp_enabled


def resume(
    session: Session,
    secret_key: str,
    secret: str,
    policy: SigninPolicy,
    now: datetime | None = None,
) -> Viewer:
    """The viewer of a live session, or :class:`UnauthenticatedError`."""
    now = now or utcnow()
    digest = token_digest(secret_key, secret)
    row = session.scalar(select(ConsoleSession).where(ConsoleSession.digest == digest))
    if (
        row is None
        or row.ended_at is not None
        or not rules.session_alive(row.created_at, row.last_seen_at, now, policy)
    ):
        session.rollback()
        raise UnauthenticatedError("your session has ended; sign in again")
    account = session.get(Account, row.account_id)
    if account is None or account.disabled:
        session.rollback()
        raise UnauthenticatedError("your session has ended; sign in again")
    viewer = viewer_for(account)
    # A minute's precision keeps most page views read-only.
    if (now - row.last_seen_at).total_seconds() > 60:
        begin_write(session)
        session.execute(
            update(ConsoleSession).where(ConsoleSession.id == row.id).values(last_seen_at=now)
        )
    session.commit()
    return viewer


def sign_out(session: Session, secret_key: str, secret: str) -> None:
    """End the session ``secret`` belongs to (nothing happens if it has ended)."""
    begin_write(session)
    digest = token_digest(secret_key, secret)
    row = session.scalar(select(ConsoleSession).where(ConsoleSession.digest == digest))
    if row is not None and row.ended_at is None:
        row.ended_at = utcnow()
        account = session.get(Account, row.account_id)
        if account is not None:
            audit.record(session, viewer_for(account), "console.signout")
    session.commit()


def start_totp(session: Session, secret_key: str, viewer: Viewer) -> Enrolment:
    """A new TOTP secret for the viewer, kept sealed until a first code confirms it."""
    begin_write(session)
    credential = _credential(session, viewer.account_id)
    secret = rules.new_totp_secret()
    credential.totp_secret = fernet_for(secret_key, _TOTP_PURPOSE).encrypt(secret.encode()).decode()
    credential.totp_enabled = False
    credential.totp_last_step = None
    session.commit()
    return Enrolment(secret, rules.totp_uri(secret, viewer.account_name))


def pending_totp(session: Session, secret_key: str, viewer: Viewer) -> Enrolment | None:
    """The enrolment waiting for its first code, if one was started."""
    credential = session.get(Credential, viewer.account_id)
    if credential is None or credential.totp_secret is None or credential.totp_enabled:
        return None
    secret = _unseal_totp(secret_key, credential.totp_secret)
    return Enrolment(secret, rules.totp_uri(secret, viewer.account_name))


def confirm_totp(
    session: Session, secret_key: str, viewer: Viewer, code: str, now: datetime | None = None
) -> None:
    """Turn the second factor on once the person proves their app has the secret."""
    now = now or utcnow()
    credential = session.get(Credential, viewer.account_id)
    if credential is None or credential.totp_secret is None:
        raise NotFoundError("start setting up the authenticator app first")
    secret = _unseal_totp(secret_key, credential.totp_secret)
    step = rules.totp_step(secret, code, now, None)
    if step is None:
        raise UnprocessableError(
            "the code is not right", details={"code": ["The code is not right; try the next one."]}
        )
    begin_write(session)
    credential = _credential(session, viewer.account_id)
    credential.totp_enabled = True
    credential.totp_last_step = step
    audit.record(session, viewer, "console.totp.enable")


def require_totp(session: Session, viewer: Viewer, organisation_id: int, required: bool) -> None:
    """Set whether an organisation's people must use a second factor."""
    begin_write(session)
    requirement = session.get(SigninRequirement, organisation_id)
    if requirement is None:
        requirement = SigninRequirement(organisation_id=organisation_id, require_totp=required)
        session.add(requirement)
    requirement.require_totp = required
    audit.record(
        session, viewer, "org.totp.require", detail=f"organisation {organisation_id}: {required}"
    )


def has_totp(session: Session, viewer: Viewer) -> bool:
    """Whether the viewer signs in with a second factor."""
    credential = session.get(Credential, viewer.account_id)
    return credential is not None and credential.totp_enabled


def end_sessions(session: Session, account_id: int) -> None:
    """End every session of an account (it was disabled, or its password reset)."""
    begin_write(session)
    _end_sessions(session, account_id)
    session.commit()


def _end_sessions(session: Session, account_id: int, keep_digest: str | None = None) -> None:
    stmt = update(ConsoleSession).where(
        ConsoleSession.account_id == account_id, ConsoleSession.ended_at.is_(None)
    )
    if keep_digest is not None:
        stmt = stmt.where(ConsoleSession.digest != keep_digest)
    session.execute(stmt.values(ended_at=utcnow()))


def _credential(session: Session, account_id: int) -> Credential:
    credential = session.get(Credential, account_id)
    if credential is None:
        credential = Credential(account_id=account_id, failed_signins=0, totp_enabled=False)
        session.add(credential)
    return credential


def _fail(session: Session, credential: Credential, now: datetime, policy: SigninPolicy) -> None:
    # An atomic increment: two workers failing at once both count.
    session.execute(
        update(Credential)
        .where(Credential.account_id == credential.account_id)
        .values(failed_signins=Credential.failed_signins + 1)
    )
    session.refresh(credential)
    locked_until = rules.lock_after_failure(credential.failed_signins, now, policy)
    if locked_until is not None:
        credential.locked_until = locked_until
        credential.failed_signins = 0
    session.commit()
    if locked_until is not None:
        raise LockedError(_locked_message(locked_until))


def _locked_message(until: datetime | None) -> str:
    moment = until.strftime("%H:%M UTC") if until else "a while"
    return f"Too many failed sign-ins: this account is locked until {moment}. Try again then."


def _unseal_totp(secret_key: str, sealed: str) -> str:
    return fernet_for(secret_key, _TOTP_PURPOSE).decrypt(sealed.encode()).decode()

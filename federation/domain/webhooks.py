"""Signed webhooks: keeping the signing secret, signing a body, retry timing, targets.

The secret must stay usable for signing, so it is encrypted (Fernet) under a key
derived from the hub's SECRET_KEY with HKDF, never hashed. A receiver checks
``X-Federation-Signature: sha256=<hex HMAC-SHA256 of the body>``; the body
carries the same timestamp as ``X-Federation-Timestamp``, so the signature
covers it and a receiver can refuse replays.

A member chooses the URL the hub POSTs to, so the hub must not be aimed at its
own network (loopback, private ranges, cloud metadata services). A target is
checked when it is set and again before every delivery, on the addresses its
host resolves to then; the delivery connects to those checked addresses
(:class:`Target`), so a second DNS lookup cannot swap in another one (DNS
rebinding). Resolving is injected (:data:`Resolver`): these rules do no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken

from federation.domain.sealing import fernet_for, reseal_with

SIGNATURE_HEADER = "X-Federation-Signature"
TIMESTAMP_HEADER = "X-Federation-Timestamp"
MAX_URL_LENGTH = 2000
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 512
# Ten attempts with doubling delays from 30 s reach about 4 hours in total.
MAX_ATTEMPTS = 10
_FIRST_DELAY = timedelta(seconds=30)
_MAX_DELAY = timedelta(hours=1)
_HKDF_INFO = b"federation webhook secrets v1"


class SecretUnreadableError(ValueError):
    """A stored secret cannot be decrypted: the hub's SECRET_KEY changed since it was set."""


def new_secret() -> str:
    """A random signing secret, for members who do not choose one."""
    return secrets.token_urlsafe(32)


def check_secret(secret: str) -> str:
    """``secret`` if it is long enough to sign with; ValueError otherwise."""
    if not MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH:
        raise ValueError(
            f"a webhook secret has {MIN_SECRET_LENGTH} to {MAX_SECRET_LENGTH} characters"
        )
    return secret


def check_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL without credentials; ValueError otherwise."""
    value = url.strip()
    if len(value) > MAX_URL_LENGTH or any(ord(c) < 33 for c in value):
        raise ValueError(f"a webhook URL is up to {MAX_URL_LENGTH} characters, without blanks")
    try:
        parts = urlsplit(value)
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise ValueError("a webhook URL is an absolute http:// or https:// URL")
    if parts.username is not None or parts.password is not None:
        # Credentials in the URL would be shown back in listings; use the secret.
        raise ValueError("a webhook URL must not hold credentials")
    return value


def _fernet(secret_key: str) -> Fernet:
    return fernet_for(secret_key, _HKDF_INFO)


def encrypt_secret(secret_key: str, secret: str) -> str:
    """``secret`` encrypted under a key derived from the hub's ``secret_key``."""
    return _fernet(secret_key).encrypt(secret.encode()).decode()


def decrypt_secret(secret_key: str, token: str) -> str:
    """The secret :func:`encrypt_secret` encrypted, or :class:`SecretUnreadableError`."""
    try:
        return _fernet(secret_key).decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadableError(
            "the webhook secret cannot be decrypted (the hub's SECRET_KEY changed); set it again"
        ) from None


def reseal_secret(secret_key: str, previous_keys: Sequence[str], token: str) -> str:
    """A secret encrypted under ``secret_key`` or one of ``previous_keys``,
    encrypted again under ``secret_key`` (``federation keys rotate``)."""
    try:
        return reseal_with(secret_key, previous_keys, _HKDF_INFO, token)
    except InvalidToken:
        raise SecretUnreadableError(
            "the webhook secret opens under neither SECRET_KEY nor PREVIOUS_SECRET_KEYS"
        ) from None


def signature(secret: str, body: bytes) -> str:
    """The ``X-Federation-Signature`` value of ``body``: ``sha256=<hex HMAC>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: doubling, capped at an hour."""
    delay: timedelta = _FIRST_DELAY * (2 ** min(max(attempts - 1, 0), 20))
    return min(delay, _MAX_DELAY)


IPAddress = IPv4Address | IPv6Address
# (host name, port) -> the addresses it resolves to, as text; raises OSError
# (socket.gaierror) when it cannot be resolved.
Resolver = Callable[[str, int], Sequence[str]]

# Blocks no member's webhook lives in, beyond what ``ipaddress`` flags
# (whose lists changed between Python releases): IANA special-purpose
# registries, documentation and benchmarking ranges, multicast, the
# reserved and broadcast space, and addresses cloud providers serve their
# instance metadata at (credentials for the asking) - some of which Python
# counts as global.
_NOT_PUBLIC: tuple[IPv4Network | IPv6Network, ...] = tuple(
    ipaddress.ip_network(block)
    for block in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT; Alibaba's metadata is 100.100.100.200
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local; AWS, GCP and Azure metadata is 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF assignments; Oracle's metadata is 192.0.0.192
        "192.0.2.0/24",
        "192.88.99.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        "64:ff9b:1::/48",
        "100::/64",
        "2001::/23",  # IETF assignments, Teredo included
        "2001:db8::/32",
        "fc00::/7",  # unique local; AWS's IPv6 metadata is fd00:ec2::254
        "fe80::/10",
        "fec0::/10",
        "ff00::/8",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class TargetRefusedError(ValueError):
    """A webhook URL whose host is not public, or cannot be resolved to check it."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where one POST goes: the URL's parts and the addresses checked for its host.

    The connection is made to ``addresses`` (in order), never to a fresh
    lookup of ``host``; ``host`` still names the server in ``Host`` and in TLS.
    """

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[IPAddress, ...]


def is_public(address: IPAddress) -> bool:
    """Whether ``address`` is a public unicast address the hub may POST to.

    An IPv6 address carrying an IPv4 one (IPv4-mapped, NAT64, 6to4) is as
    public as the IPv4 address it reaches.
    """
    if isinstance(address, IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public(embedded)
        if address.is_site_local:
            return False
    if any(address in block for block in _NOT_PUBLIC if block.version == address.version):
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_private
    )


def check_target(url: str, resolve: Resolver, *, allow_private: bool = False) -> Target:
    """The checked :class:`Target` of a webhook ``url``; :class:`TargetRefusedError` otherwise.

    A literal address is taken as it is; a host name is resolved with
    ``resolve``, and every address it resolves to must be public (one private
    address among public ones is how a rebinding attack starts). With
    ``allow_private`` (labs, tests) any address is accepted, still resolved
    once and pinned.
    """
    try:
        parts = urlsplit(check_url(url))
    except ValueError as exc:
        raise TargetRefusedError(str(exc)) from None
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        addresses: tuple[IPAddress, ...] = (ipaddress.ip_address(host),)
    except ValueError:
        addresses = _resolved(host, port, resolve)
    if not allow_private:
        for address in addresses:
            if not is_public(address):
                raise TargetRefusedError(
                    f"refused: {host} resolves to the non-public address {address}"
                    if str(address) != host
                    else f"refused: {host} is the non-public address {address}"
                )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses)


def _resolved(host: str, port: int, resolve: Resolver) -> tuple[IPAddress, ...]:
    try:
        answers = resolve(host, port)
    except OSError as exc:
        raise TargetRefusedError(f"{host} cannot be resolved ({exc}); it must be checked") from None
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            address = ipaddress.ip_address(answer)
        except ValueError:
            message = f"{host} resolves to {answer[:60]!r}, not an address"
            raise TargetRefusedError(message) from None
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise TargetRefusedError(f"{host} resolves to no address")
    return tuple(addresses)

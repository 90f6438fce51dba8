"""A remote TAXII 2.1 collection, as the sync service needs it: pages in, envelopes out.

Built on taxii2-client's ``Collection`` and ``ApiRoot`` (discovery of
``max_content_length``, add-objects and polling the status resource). Pages are
fetched through the same taxii2-client connection but read directly, because
the checkpoint needs the ``X-TAXII-Date-Added-Last`` header (section 3.3.1),
which taxii2-client does not return.

Every failure becomes a :class:`RemoteError` whose message names what went
wrong and never a credential.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from taxii2client.common import _HTTPConnection
from taxii2client.exceptions import TAXIIServiceException
from taxii2client.v21 import ApiRoot, Collection

from federation.domain.errors import FederationError
from federation.domain.sealing import PeerCredentials

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
DATE_ADDED_LAST = "X-TAXII-Date-Added-Last"
# Seconds to wait for each answer unless the caller says otherwise; a peer
# that hangs fails the pass instead of holding it for ever.
DEFAULT_TIMEOUT = 30.0
# How long to poll a status resource before counting its pending objects as failed.
STATUS_TIMEOUT = 60
_ENVELOPE_OVERHEAD = len(b'{"objects":[]}')


class RemoteError(FederationError):
    status = 502
    title = "Peer failed"


@dataclass(frozen=True, slots=True)
class RemotePage:
    """One page of a remote collection."""

    objects: list[dict[str, Any]]
    more: bool
    # The date_added of the page's last object, exactly as the remote wrote it.
    last_added: str | None
    # The remote's cursor for the rest of this listing, when it gives one.
    next: str | None = None


@dataclass(slots=True)
class PushOutcome:
    """What the remote's status resource said about one envelope, per (id, version)."""

    succeeded: set[tuple[str, str]] = field(default_factory=set)
    failed: dict[tuple[str, str], str] = field(default_factory=dict)


class _TimeoutAdapter(HTTPAdapter):
    """Gives every request a timeout: requests has no session-wide default."""

    def __init__(self, timeout: float) -> None:
        super().__init__(pool_connections=1, pool_maxsize=2)
        self.timeout = timeout

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (min(self.timeout, 10.0), self.timeout)
        return super().send(request, **kwargs)


class BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


def object_key(document: dict[str, Any]) -> tuple[str, str]:
    """(id, version) as a TAXII status resource names an object."""
    version = document.get("modified", document.get("created", ""))
    return str(document.get("id", "")), str(version)


@contextmanager
def remote_collection(
    api_root_url: str,
    collection_id: str,
    credentials: PeerCredentials,
    timeout: float = DEFAULT_TIMEOUT,
) -> Iterator[RemoteCollection]:
    """A :class:`RemoteCollection` whose connections close afterwards."""
    remote = RemoteCollection(api_root_url, collection_id, credentials, timeout)
    try:
        yield remote
    finally:
        remote.close()


class RemoteCollection:
    """One collection of a remote TAXII 2.1 API root."""

    def __init__(
        self,
        api_root_url: str,
        collection_id: str,
        credentials: PeerCredentials,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        root = api_root_url if api_root_url.endswith("/") else api_root_url + "/"
        auth = BearerAuth(credentials.token) if credentials.token else None
        self._conn = _HTTPConnection(
            user=credentials.user, password=credentials.password, auth=auth, version="2.1"
        )
        adapter = _TimeoutAdapter(timeout)
        self._conn.session.mount("http://", adapter)
        self._conn.session.mount("https://", adapter)
        self._root_url = root
        self._collection = Collection(f"{root}collections/{collection_id}/", conn=self._conn)
        self._max_content_length: int | None = None

    def close(self) -> None:
        self._conn.close()

    def get_page(
        self, added_after: str | None, limit: int, cursor: str | None = None
    ) -> RemotePage:
        """The objects added after ``added_after`` (oldest first), at most ``limit``.

        With ``cursor`` (a previous page's ``next``, asked with the same
        ``added_after``), the listing continues where that page ended.
        """
        # Every version, not only the latest (the default): a version superseded
        # before this pass is still news to us.
        params: dict[str, str | int] = {"limit": limit, "match[version]": "all"}
        if added_after:
            params["added_after"] = added_after
        if cursor:
            params["next"] = cursor
        with _translated("fetching objects"):
            response = self._conn.session.get(
                self._collection.objects_url, params=params, headers={"Accept": TAXII_MEDIA_TYPE}
            )
            _raise_for_status(response)
            body = response.json()
        if not isinstance(body, dict):
            raise RemoteError("the remote answered with something other than a TAXII envelope")
        objects = body.get("objects") or []
        if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
            raise RemoteError("the remote envelope's objects are not a list of objects")
        last_added = response.headers.get(DATE_ADDED_LAST)
        if objects and not last_added:
            raise RemoteError(f"the remote sent objects without an {DATE_ADDED_LAST} header")
        more = bool(body.get("more")) and bool(objects)
        cursor = body.get("next")
        next_cursor = (
            str(cursor) if more and isinstance(cursor, str | int) and cursor != "" else None
        )
        return RemotePage(objects, more, last_added, next_cursor)

    def max_content_length(self) -> int:
        """The largest request body the remote API root accepts."""
        if self._max_content_length is None:
            with _translated("reading the API root"):
                root = ApiRoot(self._root_url, conn=self._conn)
                self._max_content_length = int(root.max_content_length)
        return self._max_content_length

    def envelope_size(self, objects: list[bytes]) -> int:
        """Bytes of an envelope holding these encoded objects."""
        return _ENVELOPE_OVERHEAD + sum(len(o) for o in objects) + max(len(objects) - 1, 0)

    def add_objects(self, encoded: list[bytes], keys: list[tuple[str, str]]) -> PushOutcome:
        """Post one envelope of already-encoded objects and wait for its status.

        ``keys`` are the objects' (id, version). Objects the status still
        reports pending when polling gives up count as failed, so the caller
        retries them later.
        """
        body = b'{"objects":[' + b",".join(encoded) + b"]}"
        with _translated("adding objects"):
            status = self._collection.add_objects(
                body, wait_for_completion=True, poll_interval=1, timeout=STATUS_TIMEOUT
            )
        outcome = PushOutcome()
        for entry in status.successes:
            outcome.succeeded.add(_status_key(entry))
        for entry in status.failures:
            outcome.failed[_status_key(entry)] = str(entry.get("message", "refused"))[:400]
        for entry in status.pendings:
            outcome.failed[_status_key(entry)] = "still pending when polling stopped"
        listed = status.successes or status.failures or status.pendings
        if not listed and status.status == "complete" and status.success_count == len(keys):
            # The per-object lists are optional (section 4.3.1); the counts are not.
            outcome.succeeded.update(keys)
        return outcome


def encode(document: dict[str, Any]) -> bytes:
    """One object as compact UTF-8 JSON, for envelopes and their size budget."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _status_key(entry: Any) -> tuple[str, str]:
    if not isinstance(entry, dict):
        return "", ""
    return str(entry.get("id", "")), str(entry.get("version", ""))


def _raise_for_status(response: requests.Response) -> None:
    if response.status_code >= 400:
        reason = response.reason or "error"
        raise RemoteError(f"the remote answered HTTP {response.status_code} {reason}"[:300])


@contextmanager
def _translated(action: str) -> Iterator[None]:
    """Turn transport, HTTP and protocol errors into one-line :class:`RemoteError`."""
    try:
        yield
    except RemoteError:
        raise
    except requests.HTTPError as exc:
        code = exc.response.status_code if exc.response is not None else "?"
        raise RemoteError(f"{action}: the remote answered HTTP {code}") from None
    except requests.exceptions.ChunkedEncodingError:
        raise RemoteError(f"{action}: the remote hung up in the middle of its answer") from None
    except requests.exceptions.JSONDecodeError:
        raise RemoteError(f"{action}: the remote's answer is not JSON") from None
    except requests.Timeout:
        raise RemoteError(f"{action}: the remote did not answer in time") from None
    except requests.ConnectionError:
        raise RemoteError(f"{action}: cannot connect to the remote (or it hung up)") from None
    except requests.RequestException as exc:
        raise RemoteError(f"{action}: {type(exc).__name__}") from None
    except (TAXIIServiceException, ValueError, KeyError, TypeError) as exc:
        raise RemoteError(
            f"{action}: unexpected answer ({str(exc).splitlines()[0][:200]})"
        ) from None

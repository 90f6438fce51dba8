"""Checking a peer link against the remote before relying on it.

``peer add`` and ``peer test`` ask the remote the questions a sync would, in
order, and stop at the first wrong answer with a message that says what is
wrong and what to use instead: the URL is a discovery endpoint (here are its
API roots), the credentials are refused, the collection is not there (here
are those these credentials see), or it does not let them read or write as
the link's direction needs. Messages never hold a credential.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from federation.domain.sealing import PeerCredentials
from federation.peers.client import TAXII_MEDIA_TYPE, BearerAuth, RemoteError

CHECK_TIMEOUT = 10.0
_TAXII_21 = "application/taxii+json;version=2.1"


@dataclass(frozen=True, slots=True)
class LinkCheck:
    """What the remote said about a link that passed every check."""

    api_root_title: str
    collection_title: str
    can_read: bool
    can_write: bool

    def summary(self) -> str:
        return (
            f"API root {self.api_root_title!r}, collection {self.collection_title!r} "
            f"(can_read {str(self.can_read).lower()}, can_write {str(self.can_write).lower()})"
        )


def check_link(
    api_root_url: str,
    collection: str,
    credentials: PeerCredentials,
    *,
    pulls: bool,
    pushes: bool,
    timeout: float = CHECK_TIMEOUT,
) -> LinkCheck:
    """Ask the remote about the link; :class:`RemoteError` says what is wrong."""
    root_url = api_root_url if api_root_url.endswith("/") else api_root_url + "/"
    with requests.Session() as http:
        if credentials.token:
            http.auth = BearerAuth(credentials.token)
        elif credentials.user is not None:
            http.auth = (credentials.user, credentials.password or "")
        http.headers["Accept"] = TAXII_MEDIA_TYPE
        root = _api_root(http, root_url, timeout)
        found = _collection(http, root_url, collection, timeout)
    can_read, can_write = found.get("can_read") is True, found.get("can_write") is True
    title = str(found.get("title", collection))
    if pulls and not can_read:
        raise RemoteError(
            f"collection {title!r} does not let these credentials read it (can_read is false),"
            " and the link pulls; ask the remote's operator for read access or use --direction push"
        )
    if pushes and not can_write:
        raise RemoteError(
            f"collection {title!r} does not let these credentials write to it (can_write is"
            " false), and the link pushes; ask the remote's operator for write access"
            " or use --direction pull"
        )
    return LinkCheck(str(root.get("title", "")), title, can_read, can_write)


def _api_root(http: requests.Session, url: str, timeout: float) -> dict[str, Any]:
    response = _get(http, url, timeout)
    if response.status_code in (401, 403):
        raise RemoteError(
            f"the remote refused these credentials at {url} (HTTP {response.status_code});"
            " check --user/--password or --token"
        )
    if response.status_code == 404:
        raise RemoteError(
            f"no TAXII API root at {url} (HTTP 404){_discovery_hint(http, url, timeout)}"
        )
    body = _json(response, url)
    if "api_roots" in body and "max_content_length" not in body:
        raise RemoteError(f"that URL is a discovery endpoint; {_api_roots(body)}")
    versions = body.get("versions")
    if not isinstance(versions, list) or "max_content_length" not in body:
        raise RemoteError(f"{url} answered, but not as a TAXII 2.1 API root")
    if not any(str(v).replace(" ", "") == _TAXII_21 for v in versions):
        raise RemoteError(f"the API root at {url} does not speak TAXII 2.1 (versions {versions})")
    return body


def _collection(
    http: requests.Session, root_url: str, collection: str, timeout: float
) -> dict[str, Any]:
    url = f"{root_url}collections/{collection}/"
    response = _get(http, url, timeout)
    if response.status_code in (401, 403):
        raise RemoteError(
            f"the remote refused these credentials for collection {collection!r}"
            f" (HTTP {response.status_code})"
        )
    if response.status_code == 404:
        raise RemoteError(
            f"the API root has no collection {collection!r} that these credentials can see;"
            f" {_collections(http, root_url, timeout)}"
        )
    return _json(response, url)


def _get(http: requests.Session, url: str, timeout: float) -> requests.Response:
    try:
        return http.get(url, timeout=(min(timeout, 10.0), timeout), allow_redirects=False)
    except requests.Timeout:
        raise RemoteError(f"{url} did not answer within {timeout:g} s") from None
    except requests.ConnectionError:
        raise RemoteError(f"cannot connect to {url}") from None
    except requests.RequestException as exc:
        raise RemoteError(f"asking {url}: {type(exc).__name__}") from None


def _json(response: requests.Response, url: str) -> dict[str, Any]:
    if 300 <= response.status_code < 400 and response.headers.get("Location"):
        # A link names its API root exactly: across hosts a redirect drops the credentials.
        target = urljoin(url, response.headers["Location"])
        raise RemoteError(f"{url} redirects to {target}; give that URL instead")
    if response.status_code != 200:
        raise RemoteError(f"{url} answered HTTP {response.status_code} {response.reason or ''}")
    try:
        body = response.json()
    except ValueError:
        raise RemoteError(f"{url} answered, but not with TAXII JSON") from None
    if not isinstance(body, dict):
        raise RemoteError(f"{url} answered, but not with a TAXII resource")
    return body


def _api_roots(discovery: dict[str, Any]) -> str:
    roots = discovery.get("api_roots")
    if not isinstance(roots, list) or not roots:
        return "it lists no API roots"
    return "its API roots are: " + ", ".join(str(r) for r in roots[:10])


def _discovery_hint(http: requests.Session, url: str, timeout: float) -> str:
    # The usual mistake is a path off by a segment; the server's discovery
    # document names the API roots it does have.
    parts = urlsplit(url)
    discovery = urljoin(f"{parts.scheme}://{parts.netloc}", "/taxii2/")
    try:
        response = http.get(discovery, timeout=(min(timeout, 10.0), timeout))
        body = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return ""
    if isinstance(body, dict) and "api_roots" in body:
        return f"; the server's discovery at {discovery} says {_api_roots(body)}"
    return ""


def _collections(http: requests.Session, root_url: str, timeout: float) -> str:
    try:
        response = http.get(f"{root_url}collections/", timeout=(min(timeout, 10.0), timeout))
        body = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return "the list of its collections is not available"
    listed = body.get("collections") if isinstance(body, dict) else None
    if not isinstance(listed, list) or not listed:
        return "these credentials see no collection there"
    names = [f"{c.get('id')} ({c.get('title', '')})" for c in listed[:20] if isinstance(c, dict)]
    return "these credentials see: " + ", ".join(names)

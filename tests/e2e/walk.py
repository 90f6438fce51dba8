"""Walking a live hub's read paths as one account: every TAXII endpoint and
every parameterless GET of the REST API (as its OpenAPI document lists them).

The probes (TLP, hostile member) walk with these and then look at what came
back: status codes, bodies and headers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import requests

from tests.e2e.conftest import Credentials
from tests.helpers import scaled

TAXII = "application/taxii+json;version=2.1"

Getter = Callable[..., requests.Response]


def getter(creds: Credentials, accept: str) -> Getter:
    """``get(url, params=None)`` as ``creds``, asking for ``accept``."""

    def get(url: str, params: dict[str, Any] | None = None) -> requests.Response:
        return requests.get(
            url, params=params, headers={"Accept": accept}, auth=creds.basic, timeout=scaled(30)
        )

    return get


def as_text(response: requests.Response) -> str:
    """Headers and body: everything a response tells its reader."""
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return f"{headers}\n{response.text}"


def taxii_responses(
    url: str,
    creds: Credentials,
    collections: Iterable[str],
    *,
    status_ids: Iterable[str] = (),
    object_ids: Iterable[str] = (),
    limit: int = 2,
) -> Iterator[requests.Response]:
    """Discovery, the ``hub`` API root, its collection list, then for each of
    ``collections`` and of those the list names: the collection, every page of
    its objects and manifest (``limit`` per page); in ``collections``, also one
    object and its versions for each of ``object_ids``; last the status of each
    of ``status_ids``."""
    base = f"{url}/taxii2/hub/"
    get = getter(creds, TAXII)
    yield get(f"{url}/taxii2/")
    yield get(base)
    listed = get(f"{base}collections/")
    yield listed
    named = listed.json().get("collections", []) if listed.status_code == 200 else []
    given = list(collections)
    for collection_id in dict.fromkeys([*given, *(c["id"] for c in named)]):
        collection = f"{base}collections/{collection_id}/"
        yield get(collection)
        for endpoint in ("objects/", "manifest/"):
            params: dict[str, Any] = {"limit": limit}
            while True:
                page = get(collection + endpoint, params=params)
                yield page
                body = page.json() if page.status_code == 200 else {}
                if not body.get("more"):
                    break
                params["next"] = body["next"]
        if collection_id not in given:
            continue
        for stix_id in object_ids:
            yield get(f"{collection}objects/{stix_id}/")
            yield get(f"{collection}objects/{stix_id}/versions/")
    for status_id in status_ids:
        yield get(f"{base}status/{status_id}/")


def rest_responses(url: str, creds: Credentials) -> Iterator[requests.Response]:
    """The OpenAPI document, then every GET of the REST API that takes no path parameter."""
    get = getter(creds, "application/json")
    document = get(f"{url}/api/v1/openapi.json")
    yield document
    assert document.status_code == 200, document.text
    for path, operations in document.json()["paths"].items():
        if "get" in operations and "{" not in path:
            yield get(f"{url}/api/v1{path.removeprefix('/api/v1')}")

"""Pure input rules moved out of the services: member, account and peer names,
and a peer's API root URL."""

from __future__ import annotations

import pytest

from federation.domain.errors import UnprocessableError
from federation.domain.peers import api_root_url, peer_name
from federation.domain.text import checked_name


def test_a_name_is_stripped_and_must_be_printable_and_short() -> None:
    assert checked_name("  Example ISP ") == "Example ISP"
    for bad in ("", "   ", "x" * 201, "tab\there"):
        with pytest.raises(UnprocessableError):
            checked_name(bad)


def test_a_peer_name_has_no_slash() -> None:
    assert peer_name(" hub-b ") == "hub-b"
    with pytest.raises(UnprocessableError) as refused:
        peer_name("hub/b")
    assert set(refused.value.details) == {"name"}


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("https://hub-b.example/taxii2/api", "https://hub-b.example/taxii2/api/"),
        (" http://127.0.0.1:8080/api/ ", "http://127.0.0.1:8080/api/"),
    ],
)
def test_an_api_root_url_ends_in_a_slash(given: str, stored: str) -> None:
    assert api_root_url(given) == stored


@pytest.mark.parametrize(
    "bad", ["ftp://hub-b.example/api/", "hub-b.example/api", "https://user:pw@hub-b.example/api/"]
)
def test_an_api_root_url_is_http_without_credentials(bad: str) -> None:
    with pytest.raises(UnprocessableError) as refused:
        api_root_url(bad)
    assert set(refused.value.details) == {"url"}

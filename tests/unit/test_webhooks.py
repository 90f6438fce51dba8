"""Webhook rules: the secret kept encrypted under the hub key, signatures, retry timing, URLs."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
from datetime import timedelta

import pytest

from federation.config import ConfigError, load_config
from federation.domain import webhooks


def test_a_secret_survives_encryption_under_the_same_hub_key_only() -> None:
    token = webhooks.encrypt_secret("hub-key", "member-secret-0123456789")
    assert "member-secret" not in token
    assert webhooks.decrypt_secret("hub-key", token) == "member-secret-0123456789"
    with pytest.raises(webhooks.SecretUnreadableError, match="SECRET_KEY changed"):
        webhooks.decrypt_secret("another-hub-key", token)


def test_the_signature_is_the_hex_hmac_sha256_of_the_body() -> None:
    body = b'{"event": "routed"}'
    digest = hmac.new(b"secret", body, hashlib.sha256).hexdigest()
    assert webhooks.signature("secret", body) == f"sha256={digest}"


def test_retries_back_off_exponentially_up_to_an_hour() -> None:
    delays = [webhooks.retry_delay(n) for n in range(1, 12)]
    assert delays[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert delays[-1] == timedelta(hours=1)
    assert webhooks.retry_delay(10_000) == timedelta(hours=1)


@pytest.mark.parametrize(
    "url",
    [
        "ftp://soc.example/hook",
        "https://user:pw@soc.example/hook",
        "https:///hook",
        "https://soc.example:0/hook",
        "https://soc.example/ho ok",
        "https://soc.example/" + "x" * 2000,
    ],
)
def test_webhook_urls_are_absolute_http_without_credentials(url: str) -> None:
    with pytest.raises(ValueError, match="webhook URL"):
        webhooks.check_url(url)


def test_made_secrets_are_long_enough_to_sign_with() -> None:
    assert webhooks.check_secret(webhooks.new_secret())
    with pytest.raises(ValueError, match="16 to 512"):
        webhooks.check_secret("short")


def test_private_webhook_destinations_are_a_true_or_false_setting() -> None:
    environ = {"FEDERATION_SECRET_KEY": "k", "FEDERATION_DATABASE_URL": "sqlite://"}
    assert load_config(environ=environ)["WEBHOOK_ALLOW_PRIVATE"] is False
    allowed = load_config(environ=environ | {"FEDERATION_WEBHOOK_ALLOW_PRIVATE": "yes"})
    assert allowed["WEBHOOK_ALLOW_PRIVATE"] is True
    with pytest.raises(ConfigError, match="true or false"):
        load_config(environ=environ | {"FEDERATION_WEBHOOK_ALLOW_PRIVATE": "maybe"})


def resolver(answers: dict[str, list[str]]) -> webhooks.Resolver:
    """A resolver answering from ``answers``; an unknown name fails like a lookup does."""

    def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"Name or service not known: {host}")
        return answers[host]

    return resolve


NOWHERE = resolver({})


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://127.0.0.53:8080/hook",
        "http://10.0.0.1/hook",
        "http://172.16.5.4/hook",
        "http://192.168.1.1/hook",
        "http://100.64.0.1/hook",
        "http://[::1]/hook",
        "http://[::]/hook",
        "http://0.0.0.0/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/",
        "http://192.0.0.192/opc/v2/instance/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://[fe80::1]/hook",
        "http://[fec0::1]/hook",
        "http://224.0.0.1/hook",
        "http://[ff02::1]/hook",
        "http://240.0.0.1/hook",
        "http://255.255.255.255/hook",
        "http://192.0.2.10/hook",
        "http://[2001:db8::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://[::ffff:169.254.169.254]/hook",
        "http://[64:ff9b::a9fe:a9fe]/hook",
        "http://[2002:7f00:1::]/hook",
        "http://[2001::1]/hook",
    ],
)
def test_webhook_targets_at_non_public_addresses_are_refused(url: str) -> None:
    with pytest.raises(webhooks.TargetRefusedError, match="non-public address"):
        webhooks.check_target(url, NOWHERE)
    # Allowed for labs and tests, and still pinned to the literal address.
    allowed = webhooks.check_target(url, NOWHERE, allow_private=True)
    assert len(allowed.addresses) == 1


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"],
)
def test_public_addresses_are_webhook_targets(address: str) -> None:
    host = f"[{address}]" if ":" in address else address
    target = webhooks.check_target(f"https://{host}:8443/hook?member=7", NOWHERE)
    assert (target.scheme, target.host, target.port) == ("https", address, 8443)
    assert target.path == "/hook?member=7"
    assert target.addresses == (ipaddress.ip_address(address),)


def test_a_host_name_is_checked_on_every_address_it_resolves_to() -> None:
    dns = resolver(
        {
            "hooks.member.test": ["93.184.215.14", "2606:4700::1111", "93.184.215.14"],
            "rebind.member.test": ["93.184.215.14", "127.0.0.1"],
            "metadata.member.test": ["169.254.169.254"],
            "empty.member.test": [],
        }
    )
    target = webhooks.check_target("https://hooks.member.test/hook", dns)
    assert target.host == "hooks.member.test"
    assert target.port == 443
    # Connect to these, in this order, each once: never to a second lookup.
    assert [str(a) for a in target.addresses] == ["93.184.215.14", "2606:4700::1111"]

    with pytest.raises(webhooks.TargetRefusedError, match=r"non-public address 127\.0\.0\.1"):
        webhooks.check_target("https://rebind.member.test/hook", dns)
    with pytest.raises(webhooks.TargetRefusedError, match=r"non-public address 169\.254\.169\.254"):
        webhooks.check_target("http://metadata.member.test/", dns)
    with pytest.raises(webhooks.TargetRefusedError, match="resolves to no address"):
        webhooks.check_target("https://empty.member.test/hook", dns)
    with pytest.raises(webhooks.TargetRefusedError, match="cannot be resolved"):
        webhooks.check_target("https://unknown.member.test/hook", dns)
    allowed = webhooks.check_target("http://rebind.member.test/", dns, allow_private=True)
    assert [str(a) for a in allowed.addresses] == ["93.184.215.14", "127.0.0.1"]


def test_a_resolver_answer_that_is_no_address_is_refused() -> None:
    dns = resolver({"odd.member.test": ["not-an-address"]})
    with pytest.raises(webhooks.TargetRefusedError, match="not an address"):
        webhooks.check_target("https://odd.member.test/hook", dns, allow_private=True)

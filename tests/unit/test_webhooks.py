"""Webhook rules: the secret kept encrypted under the hub key, signatures, retry timing, URLs."""

from __future__ import annotations

import hashlib
import hmac
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

"""Console fixtures: members with passwords, signed in through /login."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Factory
from tests.console.helpers import set_password, sign_in
from tests.helpers import Member


@pytest.fixture
def collection(factory: Factory) -> str:
    return factory.collection(title="Incidents", alias="incidents")


@pytest.fixture
def analyst(app: Flask, factory: Factory) -> Member:
    member = factory.member("Example ISP", sector="isp", role="analyst")
    set_password(app, member)
    return member


@pytest.fixture
def rival(app: Flask, factory: Factory) -> Member:
    member = factory.member("Second ISP", sector="isp", role="analyst")
    set_password(app, member)
    return member


@pytest.fixture
def browser(app: Flask, analyst: Member) -> FlaskClient:
    """A client signed in as the analyst."""
    return sign_in(app.test_client(), analyst)

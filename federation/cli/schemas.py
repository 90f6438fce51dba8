"""``federation openapi``: the REST API's OpenAPI document, as in ``schemas/openapi.json``."""

from __future__ import annotations

import json
from pathlib import Path

import click

from federation.api.openapi import build_document
from federation.app import create_app
from federation.config import DEFAULTS
from federation.web.db import database


def published_openapi() -> str:
    """The OpenAPI document of this version as text, keys sorted.

    Built by an app on the default title and a throw-away in-memory database,
    so neither this hub's settings nor its data show: it is the document every
    hub of this version serves, apart from ``info.title``.
    """
    app = create_app(
        {"DATABASE_URL": "sqlite://", "SECRET_KEY": "openapi-only", "TITLE": DEFAULTS["TITLE"]}
    )
    try:
        with app.app_context():
            document = build_document()
    finally:
        database(app).dispose()
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@click.command("openapi")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the document to this file instead of standard output.",
)
def openapi_command(output: Path | None) -> None:
    """Print the REST API's OpenAPI document (what `make schemas` checks in)."""
    text = published_openapi()
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def register(cli: click.Group) -> None:
    cli.add_command(openapi_command)

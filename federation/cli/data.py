"""``federation import`` and ``federation export``: STIX bundles in and out."""

from __future__ import annotations

import json
import sys
import uuid
from typing import IO

import click
from flask import current_app
from flask.cli import with_appcontext

from federation.cli.common import one_line_errors, session_scope
from federation.services.access import accounts
from federation.services.access.collections import find_collection
from federation.services.objects import transfer

# Enough to see what is wrong; the rest would bury the summary line.
_SHOWN_REJECTIONS = 20


@click.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--collection", "collection_key", required=True, help="Collection id or alias.")
@click.option("--account", help="Attribute the objects to this account (default: the operator).")
@with_appcontext
@one_line_errors
def import_command(file: IO[bytes], collection_key: str, account: str | None) -> None:
    """Add the objects of a STIX bundle FILE to a collection."""
    try:
        document = json.loads(file.read())
    except ValueError as exc:
        raise click.ClickException(f"{file.name} is not JSON: {str(exc)[:120]}") from None
    objects = transfer.bundle_objects(document)
    with session_scope() as session:
        collection = find_collection(session, collection_key)
        viewer = (
            accounts.viewer_for(accounts.account_named(session, account))
            if account
            else accounts.operator_viewer(session)
        )
        with click.progressbar(length=len(objects), label="importing", file=sys.stderr) as bar:
            ok, failed, failures = transfer.import_objects(
                session, viewer, collection, objects, progress=bar.update
            )
    click.echo(f"{ok} stored or already held, {failed} rejected")
    for failure in failures[:_SHOWN_REJECTIONS]:
        click.echo(f"  {failure.get('id') or '(no id)'}: {failure.get('message')}", err=True)
    if len(failures) > _SHOWN_REJECTIONS:
        left_out = len(failures) - _SHOWN_REJECTIONS
        click.echo(f"  ... and {left_out} more rejections not shown", err=True)
    if failed:
        sys.exit(1)


@click.command("export")
@click.option("--collection", "collection_key", required=True, help="Collection id or alias.")
@click.option("--account", help="Export what this account may see (default: the operator).")
@click.option("--output", type=click.File("w"), default="-", help="File to write (default stdout).")
@with_appcontext
@one_line_errors
def export_command(collection_key: str, account: str | None, output: IO[str]) -> None:
    """Write every visible version in a collection as one STIX bundle."""
    with session_scope() as session:
        collection = find_collection(session, collection_key)
        viewer = (
            accounts.viewer_for(accounts.account_named(session, account))
            if account
            else accounts.operator_viewer(session)
        )
        output.write(f'{{"type": "bundle", "id": "bundle--{uuid.uuid4()}", "objects": [')
        for index, document in enumerate(
            transfer.export_objects(session, viewer, collection, current_app.config["SECRET_KEY"])
        ):
            output.write(("," if index else "") + "\n" + json.dumps(document))
        output.write("\n]}\n")


def register(cli: click.Group) -> None:
    cli.add_command(import_command)
    cli.add_command(export_command)

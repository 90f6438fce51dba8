"""``federation demo``: demo members, collections and tokens."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from federation.cli.common import one_line_errors, session_scope
from federation.services.demo import DEMO_ROOT, INCIDENTS_COLLECTION, load_demo


@click.command("demo")
@click.option("--url", default="http://127.0.0.1:5000", show_default=True, help="For the snippet.")
@with_appcontext
@one_line_errors
def demo_command(url: str) -> None:
    """Load demo members and collections (idempotent) and print fresh demo tokens."""
    with session_scope() as session:
        issued = load_demo(session, current_app.config["SECRET_KEY"])
    click.echo(f"Console: {url}/ - sign in with an account name and its password:")
    for account in issued:
        click.echo(
            f"  {account.name:15} {account.password:18} {account.role:10} {account.organisation}"
        )
    click.echo(
        "\nAPI tokens (tokens and passwords are new on every run; earlier ones stop working):"
    )
    for account in issued:
        click.echo(f"  {account.name:15} {account.token}")
    analyst = issued[0]
    click.echo("\nTry it (from the project folder, while the hub runs):")
    click.echo(
        '.venv/bin/python -c "from taxii2client.v21 import Server; '
        f"s = Server('{url}/taxii2/', user='{analyst.name}', password='{analyst.token}'); "
        "root = s.api_roots[0]; "
        'print(root.title, [(c.title, c.id) for c in root.collections])"'
    )
    click.echo(
        f"\ncurl -u {analyst.name}:{analyst.token} "
        f"-H 'Accept: application/taxii+json;version=2.1' "
        f"{url}/taxii2/{DEMO_ROOT}/collections/{INCIDENTS_COLLECTION}/objects/"
    )


def register(cli: click.Group) -> None:
    cli.add_command(demo_command)

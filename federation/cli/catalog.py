"""``federation root|collection``: TAXII API roots and collections, and who may use them.

Every change goes through the services the REST API uses, as the operator's
own hub-admin account, so it is checked and audited the same way.
"""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import click
from flask.cli import with_appcontext

from federation.cli.common import one_line_errors, session_scope
from federation.domain.tlp import Tlp

if TYPE_CHECKING:
    from federation.services.access.catalog import ApiRootInfo, CollectionInfo

TLPS = ", ".join(level.label for level in Tlp)


@click.group("root")
def root_group() -> None:
    """TAXII API roots."""


@root_group.command("add")
@click.argument("name")
@click.option("--title", required=True)
@click.option("--description", default="")
@with_appcontext
@one_line_errors
def root_add(name: str, title: str, description: str) -> None:
    """Create API root NAME, served at /taxii2/NAME/."""
    from federation.services.access import accounts, catalog

    with session_scope() as session:
        viewer = accounts.operator_viewer(session)
        root = catalog.create_root(session, viewer, name=name, title=title, description=description)
    click.echo(f"API root {root.name} at /taxii2/{root.name}/")


@root_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@with_appcontext
@one_line_errors
def root_list(as_json: bool) -> None:
    """Every API root with its title and number of collections."""
    from federation.services.access import accounts, catalog

    with session_scope() as session:
        roots = catalog.list_roots(session, accounts.operator_viewer(session))
    if as_json:
        click.echo(json.dumps([_root_document(r) for r in roots]))
        return
    for root in roots:
        click.echo(f"{root.name}\t{root.title}\t{root.collections} collections")


@root_group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
@one_line_errors
def root_show(name: str, as_json: bool) -> None:
    """API root NAME: title, description, collections."""
    from federation.services.access import accounts, catalog

    with session_scope() as session:
        root = catalog.get_root(session, accounts.operator_viewer(session), name)
    _show(_root_document(root), as_json)


@root_group.command("update")
@click.argument("name")
@click.option("--title")
@click.option("--description")
@with_appcontext
@one_line_errors
def root_update(name: str, title: str | None, description: str | None) -> None:
    """Change the title or description of API root NAME."""
    from federation.services.access import accounts, catalog

    if title is None and description is None:
        raise click.UsageError("give --title or --description")
    with session_scope() as session:
        catalog.update_root(
            session,
            accounts.operator_viewer(session),
            name,
            catalog.RootChanges(title=title, description=description),
        )
    click.echo(f"API root {name} updated")


@root_group.command("remove")
@click.argument("name")
@with_appcontext
@one_line_errors
def root_remove(name: str) -> None:
    """Remove API root NAME, which must hold no collections."""
    from federation.services.access import accounts, catalog

    with session_scope() as session:
        catalog.delete_root(session, accounts.operator_viewer(session), name)
    click.echo(f"API root {name} removed")


@click.group("collection")
def collection_group() -> None:
    """TAXII collections and who may read and write them."""


@collection_group.command("add")
@click.option("--root", required=True, help="API root name.")
@click.option("--title", required=True, help="Unique within the API root.")
@click.option("--id", "collection_id", type=click.UUID, help="Collection id (default: random).")
@click.option("--alias", help="A short name usable in place of the id.")
@click.option("--description", default="")
@click.option("--read", default="*", show_default=True, help="Who may read: ORG,sector:S,group:G,*")
@click.option("--write", default="", help="Who may write: ORG,sector:S,group:G,*")
@click.option(
    "--default-tlp", default="amber", show_default=True, help=f"TLP of unmarked objects: {TLPS}."
)
@with_appcontext
@one_line_errors
def collection_add(
    root: str,
    title: str,
    collection_id: uuid.UUID | None,
    alias: str | None,
    description: str,
    read: str,
    write: str,
    default_tlp: str,
) -> None:
    """Create a collection in an API root; prints its id."""
    from federation.services.access import accounts, catalog

    with session_scope() as session:
        collection = catalog.create_collection(
            session,
            accounts.operator_viewer(session),
            root=root,
            title=title,
            collection_id=collection_id,
            description=description,
            alias=alias,
            read=read,
            write=write,
            default_tlp=default_tlp,
        )
    click.echo(str(collection.id))


@collection_group.command("list")
@click.option("--root", help="Only this API root's collections.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@with_appcontext
@one_line_errors
def collection_list(root: str | None, as_json: bool) -> None:
    """Every collection: id, API root, title, who reads and writes, how many objects."""
    from federation.services.access import accounts, catalog

    with session_scope() as session:
        found = catalog.list_collections(session, accounts.operator_viewer(session), root)
    if as_json:
        click.echo(json.dumps([_collection_document(c) for c in found]))
        return
    for c in found:
        click.echo(
            f"{c.id}\t{c.root}\t{c.title}\tread {','.join(c.read) or '-'}\t"
            f"write {','.join(c.write) or '-'}\t{c.objects} objects"
        )


@collection_group.command("show")
@click.argument("collection")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
@one_line_errors
def collection_show(collection: str, as_json: bool) -> None:
    """Collection COLLECTION (id or alias): settings, grants, objects held."""
    from federation.services.access import accounts, catalog

    with session_scope() as session:
        found = catalog.get_collection(session, accounts.operator_viewer(session), collection)
    _show(_collection_document(found), as_json)


@collection_group.command("update")
@click.argument("collection")
@click.option("--title", help="Unique within the API root.")
@click.option("--description")
@click.option("--alias", help="A short name usable in place of the id ('' removes it).")
@click.option("--read", help="Replace who may read: ORG,sector:S,group:G,* ('' for nobody).")
@click.option("--write", help="Replace who may write: ORG,sector:S,group:G,* ('' for nobody).")
@click.option("--default-tlp", help=f"TLP of unmarked objects: {TLPS}.")
@with_appcontext
@one_line_errors
def collection_update(collection: str, **changes: str | None) -> None:
    """Change collection COLLECTION (id or alias); options left out stay as they are."""
    from federation.services.access import accounts, catalog

    if all(value is None for value in changes.values()):
        raise click.UsageError("give at least one option to change")
    with session_scope() as session:
        found = catalog.update_collection(
            session,
            accounts.operator_viewer(session),
            collection,
            catalog.CollectionChanges(**changes),
        )
    click.echo(f"collection {found.id} updated")


@collection_group.command("remove")
@click.argument("collection")
@with_appcontext
@one_line_errors
def collection_remove(collection: str) -> None:
    """Remove collection COLLECTION (id or alias); it must hold no objects and no peer links."""
    from federation.services.access import accounts, catalog

    with session_scope() as session:
        catalog.delete_collection(session, accounts.operator_viewer(session), collection)
    click.echo(f"collection {collection} removed")


def _root_document(root: ApiRootInfo) -> dict[str, Any]:
    return {
        "name": root.name,
        "title": root.title,
        "description": root.description,
        "collections": root.collections,
        "created_at": root.created_at.isoformat(),
    }


def _collection_document(c: CollectionInfo) -> dict[str, Any]:
    return {
        "id": str(c.id),
        "root": c.root,
        "title": c.title,
        "description": c.description,
        "alias": c.alias,
        "default_tlp": c.default_tlp,
        "read": list(c.read),
        "write": list(c.write),
        "objects": c.objects,
        "created_at": c.created_at.isoformat(),
    }


def _show(document: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(document))
        return
    for key, value in document.items():
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        click.echo(f"{key.replace('_', ' ')}: {'-' if value in (None, '') else value}")


def register(cli: click.Group) -> None:
    cli.add_command(root_group)
    cli.add_command(collection_group)

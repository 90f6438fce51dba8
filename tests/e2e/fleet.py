"""A fleet of live hubs, set up, served, linked and stopped together.

Every hub admits an ISP and a police force, and one organisation and ``peer``
account for every other hub of the fleet, so any two can be linked with
``federation peer add`` exactly as in the interface contract. Commands that
do not depend on each other run side by side: each pays the interpreter's
start-up, and the machine has few cores.
"""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.cli.console import FEDERATION, Hub
from tests.e2e.conftest import _credentials, _free_port, _stop, _wait_until_healthy
from tests.e2e.federation_hubs import FederationHub, run_side_by_side

# Pages of 100 objects: a pull crosses page boundaries with a few hundred objects.
SMALL_PAGES = {"FEDERATION_PAGE_LIMIT_DEFAULT": "100", "FEDERATION_PAGE_LIMIT_MAX": "100"}
# One gunicorn worker per hub: three hubs start faster on a shared machine.
ONE_WORKER = ("--workers", "1")


@dataclass
class PeerLink:
    """One ``federation peer add`` on ``local`` naming ``remote``."""

    local: FederationHub
    remote: FederationHub
    name: str
    title: str


class Fleet:
    """Hubs set up, served and stopped together; use as a context manager."""

    def __init__(self, folder: Path, names: Sequence[str]) -> None:
        self.hubs = {
            name: FederationHub(name, Hub.in_folder(_mkdir(folder / name)), _free_port())
            for name in names
        }
        self._names = itertools.count(1)

    def __getitem__(self, name: str) -> FederationHub:
        return self.hubs[name]

    def __enter__(self) -> Fleet:
        try:
            self._set_up()
            self._serve()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        for hub in self.hubs.values():
            if hub.process is not None:
                _stop(hub.process)
                hub.process = None

    def _set_up(self) -> None:
        hubs = list(self.hubs.values())
        run_side_by_side((hub, ("db", "upgrade")) for hub in hubs)
        organisations = [
            (hub, org, sector) for hub in hubs for org, sector in self._organisations(hub)
        ]
        added = run_side_by_side(
            [(hub, ("org", "add", org, "--sector", sector)) for hub, org, sector in organisations]
            + [(hub, ("root", "add", "hub", "--title", hub.title)) for hub in hubs]
        )
        for (hub, org, _), result in zip(organisations, added, strict=False):
            # "organisation NAME (SECTOR) identity ID"
            hub.identities[org] = result.stdout.split()[-1]
        wanted = [(hub, key, args) for hub in hubs for key, args in self._accounts(hub)]
        issued = run_side_by_side((hub, args) for hub, _, args in wanted)
        for (hub, key, _), result in zip(wanted, issued, strict=True):
            hub.accounts[key] = _credentials(result)

    def _organisations(self, hub: FederationHub) -> list[tuple[str, str]]:
        local = [(hub.isp, "isp"), (hub.police, "law-enforcement")]
        return local + [(other.title, "hub") for other in self._others(hub)]

    def _accounts(self, hub: FederationHub) -> list[tuple[str, tuple[str, ...]]]:
        members = [("analyst", hub.isp), ("officer", hub.police)]
        accounts = [
            (
                key,
                (
                    "account",
                    "add",
                    f"{key}-{hub.name}",
                    "--org",
                    org,
                    "--role",
                    "analyst",
                    "--json",
                ),
            )
            for key, org in members
        ]
        return accounts + [
            (
                other.peer_account,
                (
                    "account",
                    "add",
                    other.peer_account,
                    "--org",
                    other.title,
                    "--role",
                    "peer",
                    "--json",
                ),
            )
            for other in self._others(hub)
        ]

    def _others(self, hub: FederationHub) -> list[FederationHub]:
        return [other for other in self.hubs.values() if other is not hub]

    def _serve(self) -> None:
        for hub in self.hubs.values():
            metrics = _mkdir(hub.folder / "prometheus")
            with (hub.folder / "serve.stderr").open("wb") as stderr:
                hub.process = subprocess.Popen(
                    [
                        str(FEDERATION),
                        "serve",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(hub.port),
                        *ONE_WORKER,
                    ],
                    env=hub.console.environ(PROMETHEUS_MULTIPROC_DIR=str(metrics), **SMALL_PAGES),
                    cwd=hub.folder,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    start_new_session=True,
                )
        for hub in self.hubs.values():
            assert hub.process is not None
            _wait_until_healthy(hub.url, hub.process, hub.folder / "serve.stderr")

    # -- per-test collections and links ---------------------------------------

    def add_collection(self, title: str, hubs: Iterable[str] | None = None) -> None:
        """A collection every member and peer may read and write, on each hub named."""
        chosen = [self.hubs[n] for n in (hubs or self.hubs)]
        created = run_side_by_side(
            (
                hub,
                (
                    "collection",
                    "add",
                    "--root",
                    "hub",
                    "--title",
                    title,
                    "--read",
                    "*",
                    "--write",
                    "*",
                ),
            )
            for hub in chosen
        )
        for hub, result in zip(chosen, created, strict=True):
            hub.collections[title] = result.stdout.strip()

    def link(
        self,
        title: str,
        links: Mapping[tuple[str, str], Sequence[str]],
        *,
        url: Mapping[str, str] | None = None,
    ) -> dict[tuple[str, str], PeerLink]:
        """``federation peer add`` on LOCAL naming REMOTE for each (LOCAL, REMOTE) -> options.

        The commands run side by side. Peers are named after the remote hub and
        a per-fleet serial, so tests sharing hubs never share a peer. ``url``
        replaces a remote's API root URL (with a proxy in front of it).
        """
        made: dict[tuple[str, str], PeerLink] = {}
        commands = []
        for (local_name, remote_name), options in links.items():
            local, remote = self.hubs[local_name], self.hubs[remote_name]
            peer = PeerLink(local, remote, f"{remote.peer_account}-{next(self._names)}", title)
            made[(local_name, remote_name)] = peer
            root_url = (url or {}).get(remote_name, remote.root_url)
            # Links may point through a proxy set to fail: the fleet tests what
            # syncs do about failures, so the links are saved without asking.
            add = ("peer", "add", peer.name, "--url", root_url, "--no-check")
            collections = ("--collection", remote.collections[title])
            collections += ("--local-collection", local.collections[title])
            credentials = ("--user", local.peer_account)
            credentials += ("--password", remote.accounts[local.peer_account].token)
            provenance = ("--org", remote.title, "--account", remote.peer_account)
            commands.append((local, (*add, *collections, *credentials, *provenance, *options)))
        run_side_by_side(commands)
        return made

    def unlink(self, links: Iterable[PeerLink]) -> None:
        run_side_by_side((link.local, ("peer", "remove", link.name)) for link in links)


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def fleet_of(folder: Path, names: Sequence[str]) -> Iterator[Fleet]:
    """A fixture body: the fleet, always stopped, even when a test fails."""
    with Fleet(folder, names) as fleet:
        yield fleet

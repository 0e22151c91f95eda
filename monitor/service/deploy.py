"""``foiwatch scrapyd deploy``: the project as an egg, uploaded to every Scrapyd node.

Scrapyd runs a project from an egg whose ``scrapy`` entry point names its settings module. The egg
carries the crawl's code (``crawler``, ``storage`` and the shipped configuration) with the entry
point ``crawler.settings``. A node still needs foiwatch's dependencies, and so foiwatch itself,
installed beside Scrapyd: installed code comes first on its path, so install the same version on
every node as on the service.
"""

from __future__ import annotations

import importlib
import io
import time
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from monitor.config import ExecutorSettings
from monitor.service.scrapyd import NodeRefused, NodeUnreachable, nodes_of

# What a crawl imports: the spiders and pipelines, the storage layer, the shipped configuration.
PACKAGES = ("crawler", "storage", "foiwatch_config")
SUFFIXES = (".py", ".yaml", ".ini", ".typed")


@dataclass(frozen=True)
class Deployed:
    """One node's answer: ``spiders`` it now lists, or why it took nothing (``error``)."""

    node: str
    version: str
    spiders: int | None = None
    error: str | None = None


def build_egg(egg_version: str) -> bytes:
    """The egg Scrapyd runs: the packages' files as installed here, and the entry point."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as egg:
        for package in PACKAGES:
            module = importlib.import_module(package)
            root = Path(next(iter(module.__path__)))
            for file in sorted(root.rglob("*")):
                if file.suffix in SUFFIXES and "__pycache__" not in file.parts:
                    egg.write(file, f"{package}/{file.relative_to(root).as_posix()}")
        egg.writestr("EGG-INFO/PKG-INFO", f"Metadata-Version: 1.1\nName: foiwatch\nVersion: {egg_version}\n")
        egg.writestr("EGG-INFO/entry_points.txt", "[scrapy]\nsettings = crawler.settings\n")
        egg.writestr("EGG-INFO/top_level.txt", "\n".join(PACKAGES) + "\n")
        egg.writestr("EGG-INFO/zip-safe", "")
    return buffer.getvalue()


def egg_version() -> str:
    """A new version for each deploy, in time order (Scrapyd runs a project's latest by default)."""
    return f"{int(time.time())}"


def deploy(settings: ExecutorSettings) -> list[Deployed]:
    """Upload one egg to every node with ``addversion.json``; each node's answer, in order."""
    chosen = egg_version()
    egg = build_egg(f"{version('foiwatch')}.{chosen}")
    results = []
    for node in nodes_of(settings):
        try:
            answer = node.upload(
                "addversion.json", {"project": settings.project, "version": chosen}, "egg", egg
            )
        except (NodeUnreachable, NodeRefused) as exc:
            results.append(Deployed(node.name, chosen, error=str(exc)))
        else:
            results.append(Deployed(node.name, chosen, spiders=int(answer.get("spiders", 0))))
    return results

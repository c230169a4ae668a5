"""The project's license, and the notices its dependencies' licenses ask for."""

from __future__ import annotations

import importlib.metadata as metadata
import re
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_EXTRAS = ("aws", "chat", "web")


def _key(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime_closure() -> set[str]:
    """The installed distributions ally-coach[aws,chat,web] runs on, transitively."""
    seen: set[str] = set()

    def walk(name: str, extras: tuple[str, ...]) -> None:
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            return  # a dependency for another platform or Python
        for line in dist.requires or []:
            req = Requirement(line)
            wanted = req.marker is None or any(
                req.marker.evaluate({"extra": extra}) for extra in (*extras, "")
            )
            if wanted and _key(req.name) not in seen:
                seen.add(_key(req.name))
                walk(req.name, tuple(req.extras))

    walk("ally-coach", RUNTIME_EXTRAS)
    seen.discard("ally-coach")
    return {name for name in seen if _installed(name)}


def _installed(name: str) -> bool:
    try:
        metadata.distribution(name)
    except metadata.PackageNotFoundError:
        return False
    return True


def test_the_project_is_apache_2_licensed() -> None:
    assert "Apache License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Version 2.0, January 2004" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^license = "Apache-2.0"$', pyproject, flags=re.M)
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    assert "Ally Coach" in notice and "Apache License, Version 2.0" in notice


def test_third_party_notices_name_every_runtime_dependency() -> None:
    listed = (ROOT / "THIRD_PARTY_NOTICES.md").read_text(encoding="utf-8")
    names = {
        _key(name.strip())
        for row in re.findall(r"^\| ([^|]+) \|", listed, flags=re.M)
        for name in row.split(",")
    }
    missing = sorted(_runtime_closure() - names)
    assert not missing, f"add these to THIRD_PARTY_NOTICES.md with their licenses: {missing}"


def test_the_notice_carries_the_bundled_apache_packages_notices() -> None:
    """Apache-2.0 section 4(d): the zips carry these packages, so their NOTICE goes along."""
    notice = (ROOT / "NOTICE").read_text(encoding="utf-8")
    for name in ("ask-sdk-model", "botocore", "requests"):
        assert name in notice
    assert "multilingual-e5-small" in notice

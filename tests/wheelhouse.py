"""A wheelhouse made offline from the test environment: every installed distribution the project
needs (its dependencies, and setuptools to build it), packed back into a wheel.

pip cannot make a wheel of an installed distribution, and `pip wheel`/`pip download` need an index.
An installed distribution carries all a wheel holds: its files (listed in RECORD, relative to
site-packages), its metadata and its WHEEL tags (for compiled ones: the platform it was built for, which
is this machine's). Files installed outside site-packages (scripts in bin/) are left out: pip writes the
console scripts again from entry_points.txt.
"""

import base64
import hashlib
import importlib.metadata as metadata
import os
import re
import zipfile

from packaging.requirements import Requirement
from packaging.tags import sys_tags

SKIP = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
BUILD = ("setuptools",)                  # what pip needs from the wheelhouse to build the project itself


def requirements(project: str = "vigientreprise") -> list[metadata.Distribution]:
    """The installed distributions ``project`` depends on, transitively (no extras), plus BUILD."""
    seen, todo, found = set(), [project, *BUILD], []
    while todo:
        name = canonical(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        dist = metadata.distribution(name)
        if name != canonical(project):
            found.append(dist)
        for text in dist.requires or []:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return found


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def repack(dist: metadata.Distribution, folder: str) -> str:
    """Write ``dist`` as a wheel into ``folder``; returns its path."""
    wheel_info = dist.read_text("WHEEL") or ""
    tags = re.findall(r"(?m)^Tag:\s*(\S+)", wheel_info)
    here = {str(t) for t in sys_tags()}
    tag = next((t for t in tags if t in here), "py3-none-any")    # py2.py3 wheels: the py3 tag
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"])
    version = dist.version
    path = os.path.join(folder, f"{name}-{version}-{tag}.whl")
    dist_info = f"{name}-{version}.dist-info"
    records = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as whl:
        for file in dist.files or []:
            rel = file.as_posix()
            parts = rel.split("/")
            if rel.startswith("..") or "__pycache__" in parts or rel.endswith(".pyc"):
                continue
            if parts[0].endswith(".dist-info") and parts[-1] in SKIP:
                continue
            source = file.locate()
            if not os.path.isfile(source):
                continue
            with open(source, "rb") as f:
                data = f.read()
            if parts[0].endswith(".dist-info"):         # one spelling of the folder, the one of the name
                rel = "/".join([dist_info, *parts[1:]])
            if parts[0].endswith(".dist-info") and parts[-1] == "WHEEL":
                data = wheel_info.encode() if wheel_info else data
            whl.writestr(rel, data)
            records.append(f"{rel},{_digest(data)},{len(data)}")
        if not wheel_info:
            data = f"Wheel-Version: 1.0\nGenerator: vigie-tests\nRoot-Is-Purelib: true\nTag: {tag}\n".encode()
            whl.writestr(f"{dist_info}/WHEEL", data)
            records.append(f"{dist_info}/WHEEL,{_digest(data)},{len(data)}")
        records.append(f"{dist_info}/RECORD,,")
        whl.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    return path


def build(folder: str, project: str = "vigientreprise") -> list[str]:
    """Fill ``folder`` with the wheels of what ``project`` needs; returns their paths."""
    os.makedirs(folder, exist_ok=True)
    return [repack(dist, folder) for dist in requirements(project)]

"""The layers stay honest: walk every import with ast and fail when a lower layer imports a higher
one, or a hardware library escapes its one module."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def module_of(path: pathlib.Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return "vigie." + ".".join(parts)


def imports(path: pathlib.Path) -> set[str]:
    """Every module name a file imports, relative imports resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_of(path) if path.name == "__init__.py" else module_of(path).rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.add(name)
            found.update(f"{name}.{alias.name}" for alias in node.names)
    return found


def sources(folder: str):
    return sorted((ROOT / folder).rglob("*.py"))


def offenders(folder: str, forbidden: tuple[str, ...], allowed_files: tuple[str, ...] = ()) -> list[str]:
    bad = []
    for path in sources(folder):
        rel = str(path.relative_to(ROOT))
        if rel in allowed_files:
            continue
        for name in imports(path):
            if any(name == f or name.startswith(f + ".") for f in forbidden):
                bad.append(f"{rel} → {name}")
    return sorted(set(bad))


HIGHER_THAN_CORE = ("vigie.daemon.transport", "vigie.daemon.box", "vigie.daemon.cli",
                    "vigie.daemon.simulator", "vigie.web")


@pytest.mark.parametrize("folder, forbidden", [
    ("daemon/core", HIGHER_THAN_CORE),
    ("daemon/transport", ("vigie.daemon.box", "vigie.daemon.cli", "vigie.daemon.simulator", "vigie.web")),
    ("daemon/box", ("vigie.daemon.cli", "vigie.daemon.simulator", "vigie.web")),
    ("daemon/simulator", ("vigie.daemon.transport", "vigie.daemon.box", "vigie.daemon.cli", "vigie.web")),
    ("web", ("vigie.daemon.transport", "vigie.daemon.box", "vigie.daemon.simulator", "vigie.daemon.cli",
             "gpiozero", "gsmmodem", "serial")),
])
def test_lower_layers_never_import_higher_ones(folder, forbidden):
    assert offenders(folder, forbidden) == []


def test_only_the_gsm_transport_imports_gsmmodem():
    everywhere = [d for d in ("daemon", "web", "bench") if (ROOT / d).exists()]
    bad = [b for d in everywhere for b in offenders(d, ("gsmmodem",))
           if not b.startswith("daemon/transport/gsm/")]
    assert bad == []


def test_the_generic_transport_layer_knows_no_gsm():
    """The worker, the seam and report matching drive any transport: only the registry names the GSM one
    (and imports it lazily, in its factory)."""
    bad = [b for b in offenders("daemon/transport", ("vigie.daemon.transport.gsm", "gsmmodem", "serial"))
           if not b.startswith(("daemon/transport/gsm/", "daemon/transport/__init__.py"))]
    assert bad == []


def test_only_the_gpio_module_imports_gpiozero():
    bad = [b for d in ("daemon", "web") for b in offenders(d, ("gpiozero",))
           if not b.startswith("daemon/box/gpio.py")]
    assert bad == []


def test_the_walker_sees_a_forbidden_import(tmp_path, monkeypatch):
    """The checker itself: a core module importing the box is caught."""
    fake = ROOT / "daemon" / "core" / "_layer_probe.py"
    fake.write_text("from vigie.daemon.box import gpio\nfrom ..transport import worker\n")
    try:
        found = offenders("daemon/core", HIGHER_THAN_CORE)
    finally:
        fake.unlink()
    assert "daemon/core/_layer_probe.py → vigie.daemon.box.gpio" in found
    assert "daemon/core/_layer_probe.py → vigie.daemon.transport.worker" in found

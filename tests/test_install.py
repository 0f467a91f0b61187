"""The installer into a staging root: the expected tree, idempotence, upgrades keep data and
configuration, uninstall keeps the data; the udev rule's syntax."""

import hashlib
import os
import re
import stat
import subprocess
import sys

import pytest

from tests import wheelhouse
from vigie.daemon.core import config as config_mod

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
INSTALL = os.path.join(ROOT, "install", "install.sh")
UNINSTALL = os.path.join(ROOT, "install", "uninstall.sh")
UNITS = ["vigientreprise.service", "vigientreprise-web.service", "vigientreprise-backup.service",
         "vigientreprise-backup.timer"]


def run(script, stage, *args, **env):
    environment = dict(os.environ, DESTDIR=str(stage), VIGIE_STAGE="1", VIGIE_PYTHON=sys.executable)
    environment.update(env)
    result = subprocess.run(["bash", script, *args], capture_output=True, text=True, env=environment,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def listing(stage) -> list[tuple]:
    """Every path under the stage with its type, mode and content checksum (or link target)."""
    rows = []
    for dirpath, dirnames, filenames in os.walk(stage):
        for name in sorted(dirnames + filenames):
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                what = "-> " + os.readlink(path)
            elif stat.S_ISDIR(st.st_mode):
                what = "dir"
            else:
                with open(path, "rb") as f:
                    what = hashlib.sha256(f.read()).hexdigest()
            rows.append((os.path.relpath(path, stage), oct(stat.S_IMODE(st.st_mode)), what))
    return sorted(rows)


def test_staged_install_produces_the_expected_tree(tmp_path):
    stage = tmp_path / "stage"
    out = run(INSTALL, stage)
    assert "installation terminée" in out and "zone de préparation" in out
    for unit in UNITS:
        with open(os.path.join(ROOT, "systemd", unit), "rb") as f:
            assert (stage / "etc/systemd/system" / unit).read_bytes() == f.read()
    with open(os.path.join(ROOT, "hardware", "99-vigientreprise.rules"), "rb") as f:
        assert (stage / "etc/udev/rules.d/99-vigientreprise.rules").read_bytes() == f.read()
    assert (stage / "opt/vigientreprise/share/doc/hardware/README.md").is_file()
    assert os.readlink(stage / "usr/local/bin/vigie") == "/opt/vigientreprise/bin/vigie"

    for d in ("var/lib/vigientreprise", "var/lib/vigientreprise/backups", "etc/vigientreprise"):
        assert stat.S_IMODE((stage / d).stat().st_mode) == 0o750, d
    conf = stage / "etc/vigientreprise/vigie.toml"
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    settings = config_mod.load(str(conf))          # the file `vigie init` writes, valid as is
    assert settings.database.path == "/var/lib/vigientreprise/vigie.db"
    assert settings.daemon.control_socket == "/run/vigientreprise/control.sock"
    assert settings.modems[0].port == "/dev/gsm-modem"
    assert not list((stage / "var/lib/vigientreprise").glob("*.db"))   # no base made outside the box
    assert not (stage / "etc/systemd/system/vigientreprise-web.service.d").exists()


def test_second_run_changes_nothing_and_upgrades_keep_configuration_and_data(tmp_path):
    stage = tmp_path / "stage"
    run(INSTALL, stage)
    first = listing(stage)
    out = run(INSTALL, stage)
    assert listing(stage) == first
    assert "configuration existante conservée" in out and "règle udev à jour" in out

    conf = stage / "etc/vigientreprise/vigie.toml"
    conf.write_text(conf.read_text(encoding="utf-8").replace('port = "/dev/gsm-modem"',
                                                             'port = "/dev/ttyUSB2"'), encoding="utf-8")
    data = stage / "var/lib/vigientreprise/vigie.db"
    data.write_bytes(b"la base des adherents")
    (stage / "var/lib/vigientreprise/backups/vigie-20260101-031500.db").write_bytes(b"copie")
    (stage / "etc/systemd/system/vigientreprise.service").write_text("ancienne version\n")
    run(INSTALL, stage)
    assert config_mod.load(str(conf)).modems[0].port == "/dev/ttyUSB2"
    assert data.read_bytes() == b"la base des adherents"
    with open(os.path.join(ROOT, "systemd", "vigientreprise.service"), encoding="utf-8") as f:
        assert (stage / "etc/systemd/system/vigientreprise.service").read_text() == f.read()


def test_console_on_a_low_port_gets_the_bind_capability_and_only_then(tmp_path):
    stage = tmp_path / "stage"
    run(INSTALL, stage)
    conf = stage / "etc/vigientreprise/vigie.toml"
    text = conf.read_text(encoding="utf-8")
    conf.write_text(re.sub(r"(?m)^port = 8080$", "port = 443", text), encoding="utf-8")
    out = run(INSTALL, stage)
    dropin = stage / "etc/systemd/system/vigientreprise-web.service.d/port.conf"
    assert "CAP_NET_BIND_SERVICE" in out
    assert "AmbientCapabilities=CAP_NET_BIND_SERVICE" in dropin.read_text(encoding="utf-8")
    conf.write_text(text, encoding="utf-8")
    run(INSTALL, stage)
    assert not dropin.exists()


def test_uninstall_keeps_the_data_and_the_configuration_unless_purged(tmp_path):
    stage = tmp_path / "stage"
    run(INSTALL, stage)
    (stage / "var/lib/vigientreprise/vigie.db").write_bytes(b"base")
    (stage / "var/lib/vigientreprise/backups/vigie-20260101-031500.db").write_bytes(b"copie")
    out = run(UNINSTALL, stage)
    assert "données conservées" in out
    for unit in UNITS:
        assert not (stage / "etc/systemd/system" / unit).exists()
    assert not (stage / "etc/udev/rules.d/99-vigientreprise.rules").exists()
    assert not (stage / "opt/vigientreprise").exists()
    assert not os.path.lexists(stage / "usr/local/bin/vigie")
    assert (stage / "etc/vigientreprise/vigie.toml").exists()
    assert (stage / "var/lib/vigientreprise/vigie.db").read_bytes() == b"base"

    run(UNINSTALL, stage, "--purge")
    assert not (stage / "etc/vigientreprise").exists()
    assert (stage / "var/lib/vigientreprise/backups/vigie-20260101-031500.db").read_bytes() == b"copie"

    run(INSTALL, stage)                           # and it comes back on top of the kept data
    assert (stage / "var/lib/vigientreprise/vigie.db").read_bytes() == b"base"


def test_make_install_and_uninstall_pass_destdir(tmp_path):
    stage = tmp_path / "stage"
    env = dict(os.environ, VIGIE_STAGE="1")
    done = subprocess.run(["make", "-s", "-C", ROOT, "install", f"DESTDIR={stage}", f"PYTHON={sys.executable}"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (stage / "etc/systemd/system/vigientreprise.service").exists()
    done = subprocess.run(["make", "-s", "-C", ROOT, "uninstall", f"DESTDIR={stage}", "PURGE=1"],
                          capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (stage / "etc/vigientreprise").exists() and (stage / "var/lib/vigientreprise").is_dir()


def test_live_install_refuses_without_root(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DESTDIR", "VIGIE_STAGE")}
    # The script comes on standard input: the checkout may sit in a folder an ordinary user cannot read.
    command = ["bash", "-s"]
    if os.geteuid() == 0:                 # observe the refusal as an ordinary user
        if subprocess.run(["runuser", "-u", "nobody", "--", "true"], capture_output=True).returncode:
            pytest.skip("lancé en root sans runuser : le refus ne peut pas être observé")
        command = ["runuser", "-u", "nobody", "--"] + command
    with open(INSTALL, encoding="utf-8") as script:
        done = subprocess.run(command, stdin=script, capture_output=True, text=True, env=env, timeout=60,
                              cwd="/")
    assert done.returncode == 1 and "sudo make install" in done.stderr, done.stderr


LIVE_SCRIPT = r"""
set -e
for d in /etc /opt /var/lib /usr/local $EXTRA_OVERLAY; do
    n=$(echo "$d" | tr / _)
    mkdir -p "$OV/u$n" "$OV/w$n"
    mount -t overlay overlay -o "lowerdir=$d,upperdir=$OV/u$n,workdir=$OV/w$n" "$d"
done
if [ -n "$EXTRA_OVERLAY" ]; then chmod o+x $EXTRA_OVERLAY; fi
# A fresh machine, whatever this one holds: hide any earlier box (removed in the overlays only).
rm -rf /etc/vigientreprise /var/lib/vigientreprise /opt/vigientreprise /usr/local/bin/vigie
if getent passwd vigie >/dev/null; then userdel vigie; fi
if getent group vigie >/dev/null; then groupdel vigie; fi
bash "$INSTALL" > "$OV/first.log" 2>&1
sha256sum /etc/vigientreprise/vigie.toml /etc/systemd/system/vigientreprise*.service > "$OV/sums1"
bash "$INSTALL" > "$OV/second.log" 2>&1
sha256sum /etc/vigientreprise/vigie.toml /etc/systemd/system/vigientreprise*.service > "$OV/sums2"
stat -c '%n %U %G %a' /etc/vigientreprise /etc/vigientreprise/vigie.toml /var/lib/vigientreprise \
    /var/lib/vigientreprise/backups /var/lib/vigientreprise/vigie.db > "$OV/owners"
id -nG vigie > "$OV/groups"
runuser -u vigie -- /usr/local/bin/vigie --config /etc/vigientreprise/vigie.toml preset list > "$OV/presets" 2>&1
bash "$UNINSTALL" > "$OV/uninstall.log" 2>&1
ls /var/lib/vigientreprise /etc/vigientreprise > "$OV/kept"
test ! -e /opt/vigientreprise && test ! -e /etc/systemd/system/vigientreprise.service && echo removed > "$OV/removed"
"""


def test_live_install_upgrade_and_uninstall_in_a_private_mount_namespace(tmp_path):
    """The real thing as root (user, venv, pip, vigie init, chown, upgrade, uninstall), with /etc, /opt,
    /var/lib and /usr/local behind overlays that vanish with the namespace: the host is untouched."""
    if os.geteuid() != 0:
        pytest.skip("il faut être root pour l'installation réelle")
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("espace de noms de montage indisponible : " + probe.stderr.decode(errors="replace"))
    ov = tmp_path / "ov"
    ov.mkdir()
    python = os.path.realpath(sys.executable)
    extra = "/root" if python.startswith("/root/") else ""      # pyenv under /root: let vigie reach it
    # Offline and hermetic: the box's venv gets the dependencies (and setuptools to build the project)
    # from wheels made of this test environment, from them alone (--no-index), whatever the base
    # interpreter has installed and whatever pip's configuration on this machine says.
    wheels = tmp_path / "wheels"
    built = wheelhouse.build(str(wheels))
    assert any(os.path.basename(w).startswith("peewee-") for w in built)
    env = dict(os.environ, OV=str(ov), INSTALL=INSTALL, UNINSTALL=UNINSTALL, EXTRA_OVERLAY=extra,
               VIGIE_PYTHON=sys.executable, VIGIE_WHEELS=str(wheels), PIP_CONFIG_FILE=os.devnull)
    for key in ("DESTDIR", "VIGIE_STAGE", "VIGIE_PIP_OPTS", "PIP_FIND_LINKS", "PIP_INDEX_URL",
                "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT", "PIP_NO_INDEX"):
        env.pop(key, None)
    done = subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-c", LIVE_SCRIPT],
                          capture_output=True, text=True, env=env, timeout=600)
    logs = {p.name: p.read_text(errors="replace") for p in ov.iterdir() if p.is_file()}
    if done.returncode != 0 and "mount" in done.stderr and "first.log" not in logs:
        pytest.skip("overlayfs indisponible : " + done.stderr.strip())
    assert done.returncode == 0, done.stderr + "\n".join(f"--- {k}\n{v}" for k, v in logs.items())

    assert "création de l'utilisateur système « vigie »" in logs["first.log"]
    assert "vigie init" in logs["first.log"] and "Base de données prête" in logs["first.log"]
    assert f"paquets Python hors ligne depuis {wheels}" in logs["first.log"]
    assert "indisponible" not in logs["presets"] and "absent" not in logs["presets"]
    assert "configuration existante conservée" in logs["second.log"]
    assert logs["sums1"] == logs["sums2"]
    owners = dict(line.split(" ", 1) for line in logs["owners"].splitlines())
    assert owners == {"/etc/vigientreprise": "root vigie 750", "/etc/vigientreprise/vigie.toml": "root vigie 640",
                      "/var/lib/vigientreprise": "vigie vigie 750",
                      "/var/lib/vigientreprise/backups": "vigie vigie 750",
                      "/var/lib/vigientreprise/vigie.db": "vigie vigie 640"}
    assert {"dialout", "gpio"} <= set(logs["groups"].split())
    assert "panique [bouton]" in logs["presets"]          # vigie init seeded the button's preset
    assert "vigie.db" in logs["kept"] and "vigie.toml" in logs["kept"] and logs["removed"].strip() == "removed"


# --- the udev rule -------------------------------------------------------------------------------

RULE_KEYS = {"SUBSYSTEM", "KERNEL", "SYMLINK", "GROUP", "MODE", "ATTRS{idVendor}", "ATTRS{idProduct}",
             "ENV{ID_USB_INTERFACE_NUM}", "ENV{ID_MM_DEVICE_IGNORE}", "OPTIONS"}
PAIR = re.compile(r'\s*([A-Z_]+(?:\{[A-Za-z_]+\})?)\s*(==|!=|\+=|=)\s*"([^"]*)"\s*(,|$)')


def parse_rule(line):
    pairs, pos = [], 0
    while pos < len(line):
        m = PAIR.match(line, pos)
        assert m, f"règle udev illisible à partir de : {line[pos:]!r}"
        pairs.append(m.groups()[:3])
        pos = m.end()
    return pairs


def test_udev_rules_are_well_formed_and_name_the_modem():
    with open(os.path.join(ROOT, "hardware", "99-vigientreprise.rules"), encoding="utf-8") as f:
        rules = [line.strip() for line in f if line.strip() and not line.lstrip().startswith("#")]
    links = []
    for line in rules:
        pairs = parse_rule(line)
        for key, op, value in pairs:
            assert key in RULE_KEYS, key
            if key == "SYMLINK" and op == "+=":
                links.append((dict((k, v) for k, o, v in pairs if o == "=="), value))
    names = {value for _, value in links}
    assert names == {"gsm-modem"}
    matched = [m for m, _ in links]
    assert {"KERNEL": "ttyAMA0", "SUBSYSTEM": "tty"}.items() <= matched[0].items()
    assert any(m.get("ATTRS{idVendor}") == "1e0e" and m.get("ATTRS{idProduct}") == "9001"
               and m.get("ENV{ID_USB_INTERFACE_NUM}") == "02" for m in matched)


def test_rule_parser_rejects_a_broken_rule():
    with pytest.raises(AssertionError):
        parse_rule('SUBSYSTEM=="tty", KERNEL=="ttyAMA0" SYMLINK+="gsm-modem"')


def test_a_missing_dependency_is_one_french_line_and_exit_3(tmp_path):
    """The project's code under an interpreter that has none of its dependencies (no site-packages
    at all): one French line naming the package and what to run, exit 3, no traceback."""
    tree = tmp_path / "src" / "vigie"
    tree.mkdir(parents=True)
    os.symlink(os.path.join(ROOT, "daemon"), tree / "daemon")
    os.symlink(os.path.join(ROOT, "web"), tree / "web")
    base = getattr(sys, "_base_executable", None) or sys.executable
    code = ("import sys; sys.path.insert(0, sys.argv[1]); from vigie.daemon.cli import main; "
            "sys.exit(main(['--config', sys.argv[2], 'status']))")
    done = subprocess.run([base, "-I", "-S", "-c", code, str(tmp_path / "src"), str(tmp_path / "vigie.toml")],
                          capture_output=True, text=True, timeout=60, cwd=str(tmp_path))
    assert done.returncode == 3, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    package = re.search(r"le paquet Python « ([^»]+) » est absent", lines[0]).group(1)
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as f:
        assert f'"{package}' in f.read()                  # a declared dependency, by its pip name
    assert "make venv" in lines[0] and "sudo make install" in lines[0]
    assert "indisponible" not in done.stderr and "Traceback" not in done.stderr and done.stdout == ""


def test_no_import_of_the_project_is_silenced():
    """A missing module of the project is a bug, shown as one: no `except ImportError` around it."""
    import ast
    silenced = []
    for folder in ("daemon", "web"):
        for dirpath, _, filenames in os.walk(os.path.join(ROOT, folder)):
            for name in filenames:
                if not name.endswith(".py"):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding="utf-8") as f:
                    tree = ast.parse(f.read(), path)
                for node in ast.walk(tree):
                    if not isinstance(node, ast.Try):
                        continue
                    caught = {ast.unparse(h.type) for h in node.handlers if h.type is not None}
                    if not caught & {"ImportError", "ModuleNotFoundError"}:
                        continue
                    for inner in ast.walk(ast.Module(body=node.body, type_ignores=[])):
                        module = (inner.module if isinstance(inner, ast.ImportFrom) else
                                  inner.names[0].name if isinstance(inner, ast.Import) else None)
                        if module and module.startswith("vigie"):
                            silenced.append(f"{os.path.relpath(path, ROOT)}:{inner.lineno}")
    assert silenced == []


def test_the_project_builds_a_wheel_without_a_packaging_warning(tmp_path):
    """Offline, with this environment's setuptools: no deprecated licence field, no data folder left
    undeclared ("Package would be ignored"), and the wheel holds the data, the views and the assets."""
    import zipfile
    env = dict(os.environ, PIP_CONFIG_FILE=os.devnull, PYTHONDONTWRITEBYTECODE="")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-v", "--no-deps", "--no-build-isolation",
                           "--no-index", "-w", str(tmp_path), ROOT],
                          capture_output=True, text=True, env=env, timeout=300, cwd=str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    output = done.stdout + done.stderr
    for warning in ("SetuptoolsDeprecationWarning", "Package would be ignored", "license classifiers",
                    "_MissingDynamic", "is deprecated"):
        assert warning not in output, warning
    wheel = next(tmp_path.glob("vigientreprise-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ("vigie/daemon/data/orne-communes.csv", "vigie/daemon/data/naf-rev2.csv",
                 "vigie/web/static/app.js", "vigie/web/views/compose.tpl", "vigie/daemon/cli/__init__.py"):
        assert path in names, path


def test_operator_route_on_demand_is_only_announced_in_a_staging_root(tmp_path):
    """VIGIE_KANNEL=1 installs Debian's Kannel on the box; a staging root gets the way to do it, and no
    Kannel file: nothing outside the stage is touched."""
    stage = tmp_path / "stage"
    out = run(INSTALL, stage, VIGIE_KANNEL="1")
    assert "route opérateur : zone de préparation" in out and "VIGIE_SMPP_HOST" in out
    assert not (stage / "etc/kannel").exists()
    plain = run(INSTALL, tmp_path / "other")
    assert "route opérateur" not in plain


def test_init_writes_a_fresh_callback_secret(tmp_path):
    from vigie.daemon.core import config
    config_path = tmp_path / "vigie.toml"
    for path in (config_path, tmp_path / "second.toml"):
        subprocess.run([sys.executable, "-m", "vigie.daemon.cli", "--config", str(path), "init",
                        "--db", str(tmp_path / "vigie.db")], check=True, capture_output=True, timeout=120)
    first = config.load(str(config_path)).daemon.callback_secret
    second = config.load(str(tmp_path / "second.toml")).daemon.callback_secret
    assert len(first) >= 16 and first != second


def test_the_installer_sets_the_time_zone_europe_paris(tmp_path):
    stage = tmp_path / "stage"
    out = run(INSTALL, stage)
    assert "fuseau horaire : Europe/Paris" in out
    assert os.readlink(stage / "etc/localtime") == "/usr/share/zoneinfo/Europe/Paris"
    assert (stage / "etc/timezone").read_text() == "Europe/Paris\n"
    assert "fuseau horaire à jour : Europe/Paris" in run(INSTALL, stage)
    (stage / "etc/localtime").unlink()
    (stage / "etc/localtime").symlink_to("/usr/share/zoneinfo/Etc/UTC")        # an image shipped in UTC
    assert "fuseau horaire : Europe/Paris" in run(INSTALL, stage)
    assert os.readlink(stage / "etc/localtime") == "/usr/share/zoneinfo/Europe/Paris"

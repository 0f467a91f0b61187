"""What every bench section shares: the figures sink, the machine, processes, waits and memory."""

import os
import platform
import socket
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "last-results.txt")


class Figures:
    """Prints each figure as ``name: value`` the moment it is known, and keeps them for the file."""

    def __init__(self):
        self.lines: list[str] = []

    def note(self, text: str) -> None:
        self._out(f"# {text}")

    def figure(self, name: str, value, unit_digits: int = 3) -> None:
        if isinstance(value, float):
            value = f"{value:.{unit_digits}f}"
        self._out(f"{name}: {value}")

    def _out(self, line: str) -> None:
        print(line, flush=True)
        self.lines.append(line)

    def save(self, path: str = RESULTS) -> None:
        with open(path, "w", encoding="utf-8") as f:
            f.write("\n".join(self.lines) + "\n")


def machine(figures: Figures) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            info = dict(line.split(":", 1) for line in f if ":" in line)
        info = {k.strip().lower(): v.strip() for k, v in info.items()}
        cpu = info.get("model name") or info.get("hardware") or info.get("model") or cpu
    except OSError:
        pass
    figures.figure("machine_cpu", cpu)
    figures.figure("machine_cores", os.cpu_count())
    figures.figure("machine_python", platform.python_version())
    figures.figure("machine_sqlite", sqlite3.sqlite_version)
    figures.figure("machine_system", f"{platform.system()} {platform.release()} {platform.machine()}")
    from importlib import metadata
    versions = []
    for name in ("python-gsmmodem-new", "pyserial", "peewee", "bottle", "cheroot"):
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            pass
    figures.figure("machine_libraries", ", ".join(versions))


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def median(values):
    return statistics.median(values)


def wait_until(predicate, timeout: float, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vigie_cmd(config: str, *args) -> list[str]:
    return [sys.executable, "-m", "vigie.daemon.cli", "--config", config, *args]


def start_vigie(config: str, *args, log_path: str) -> subprocess.Popen:
    log = open(log_path, "ab")
    return subprocess.Popen(vigie_cmd(config, *args), stdout=log, stderr=subprocess.STDOUT)


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def rss_mb(pid: int) -> float:
    """Resident set size (VmRSS) of a process, in MB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def write_config(path: str, db_path: str, modems: list, *, control_socket: str, web_port: int = 8080,
                 button: str = "enabled = false\n", daemon_extra: str = "") -> str:
    """A TOML configuration with shipped defaults except the paths, the modems and the port."""
    lines = [f'[database]\npath = "{db_path}"\n']
    for sim in modems:
        lines.append(f'[[modem]]\nname = "{sim.name}"\nport = "{sim.port}"\nmodel = "{sim.model}"\n')
    lines.append(f'[daemon]\ncontrol_socket = "{control_socket}"\n{daemon_extra}')
    lines.append(f'[web]\nhost = "127.0.0.1"\nport = {web_port}\n')
    lines.append(f"[button]\n{button}")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return path

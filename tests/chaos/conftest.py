"""The chaos suite's report: every test adds its figures; the summary prints them, one
``name: value`` per line, and writes them to artifacts/chaos-report.txt."""

import os

import pytest

from tests.chaos._report import REPORT


@pytest.fixture
def report():
    return REPORT


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if REPORT.empty():
        return
    lines = REPORT.lines()
    terminalreporter.section("rapport de fiabilité (make chaos)")
    for line in lines:
        terminalreporter.write_line(line)
    out_dir = os.path.join(str(config.rootpath), "artifacts")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "chaos-report.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    terminalreporter.write_line(f"(rapport écrit dans {os.path.relpath(path)})")

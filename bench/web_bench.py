"""The console under 10 concurrent signed-in clients: member list, composer preview, alert page.

`vigie web` runs as a process on a free loopback port; each client is a thread with its own cookie
jar; the time is the response time measured by the client on loopback (request sent to body read),
which is the server's time plus a loopback round trip (well under a millisecond).
"""

import http.cookiejar
import os
import re
import subprocess
import threading
import time
import urllib.parse
import urllib.request

from common import free_port, percentile, rss_mb, stop_process, vigie_cmd, write_config

from vigie.daemon.core import users

PASSWORD = "banc-de-mesure-2026"
CLIENTS = 10
ROUNDS = 15


def _client(base: str):
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(base + "/connexion", timeout=30).read().decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    body = urllib.parse.urlencode({"csrf": token, "username": "banc", "password": PASSWORD}).encode()
    answer = browser.open(base + "/connexion", data=body, timeout=60)
    if "/connexion" in answer.geturl():
        raise RuntimeError("sign-in refused")
    return browser


def run(figures, workdir: str, db_path: str, alert_id: int, members: int) -> None:
    path = os.path.join(workdir, "web")
    os.makedirs(path, exist_ok=True)
    if users.User.get_or_none(users.User.username == "banc") is None:
        users.create("banc", PASSWORD, "admin", actor="bench")
    port = free_port()
    config = write_config(os.path.join(path, "vigie.toml"), db_path, [],
                          control_socket=os.path.join(path, "control.sock"), web_port=port)
    proc = subprocess.Popen(vigie_cmd(config, "web"), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    base = f"http://127.0.0.1:{port}"
    pages = {
        "member_list": "/adherents",
        "recipient_preview": "/alertes/apercu.json?" + urllib.parse.urlencode(
            {"text": "Cambriolages à Alençon : vérifiez vos fermetures.", "naf_codes": "rev2:47",
             "around": "61001", "radius_km": "25"}),
        "alert_page": f"/alertes/{alert_id}",
        "map": "/carte.svg?" + urllib.parse.urlencode({"naf_codes": "47", "around": "61001", "radius_km": "25"}),
    }
    times = {name: [] for name in pages}
    errors = []
    lock = threading.Lock()
    try:
        line = proc.stdout.readline()
        while line and "Console web" not in line:
            line = proc.stdout.readline()
        if "Console web" not in line:
            raise RuntimeError("vigie web did not start")
        browsers = [_client(base) for _ in range(CLIENTS)]
        start = threading.Barrier(CLIENTS)

        def client(browser):
            start.wait()
            for _ in range(ROUNDS):
                for name, url in pages.items():
                    t0 = time.perf_counter()
                    try:
                        with browser.open(base + url, timeout=60) as answer:
                            answer.read()
                            status = answer.status
                    except Exception as e:
                        with lock:
                            errors.append(f"{name}: {e}")
                        continue
                    elapsed = (time.perf_counter() - t0) * 1000
                    with lock:
                        times[name].append(elapsed)
                        if status != 200:
                            errors.append(f"{name}: HTTP {status}")

        threads = [threading.Thread(target=client, args=(b,)) for b in browsers]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rss = rss_mb(proc.pid)
        alone = {name: [] for name in pages}          # one client, nothing queued before it
        for _ in range(ROUNDS):
            for name, url in pages.items():
                t0 = time.perf_counter()
                with browsers[0].open(base + url, timeout=60) as answer:
                    answer.read()
                alone[name].append((time.perf_counter() - t0) * 1000)
    finally:
        stop_process(proc)
    figures.note(f"console: `vigie web` (cheroot, 8 threads) with {members} members, {CLIENTS} concurrent "
                 f"signed-in clients x {ROUNDS} rounds of each page; time = response time measured by the "
                 f"client on loopback; preview and map (/carte.svg) = NAF 47 within 25 km of Alençon; alert page = the "
                 f"throughput alert's first page of recipients; *_single_client: one client alone")
    for name, values in times.items():
        figures.figure(f"console_{name}_ms_p50", percentile(values, 50), 1)
        figures.figure(f"console_{name}_ms_p95", percentile(values, 95), 1)
    for name, values in alone.items():
        figures.figure(f"console_{name}_ms_p50_single_client", percentile(values, 50), 1)
    if errors:
        figures.figure("console_errors", f"{len(errors)} ({errors[0]})")
    figures.figure("console_rss_mb_after_load", rss, 1)

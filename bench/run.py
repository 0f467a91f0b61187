"""`make bench`: the benchmark suite on simulated modems; one `name: value` figure per line.

Sections (each prints its conditions as `# ...` lines before its figures):
machine, SMS parts per alert, targeting/enqueue on 20,000 members, daemon throughput and memory after
10,000 SMS, console under 10 clients, broadcast overhead on 1/2/4 modems, panic button latency, the operator
route through Kannel (skipped, saying so, without Kannel), operator's confirmation (CLI and console) to the
first AT+CMGS.
The figures also go to bench/last-results.txt. `--quick` shrinks every size for a smoke run.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import common
import data
import sms_parts


def main() -> int:
    parser = argparse.ArgumentParser(description="Vigientreprise benchmarks")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--only", default="", help="comma-separated sections: sms,domain,throughput,web,"
                                                   "broadcast,panic,operator,confirm")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))

    def wanted(name):
        return not only or name in only

    import logging
    logging.basicConfig(level=logging.ERROR)
    import daemon_bench
    import domain
    import web_bench

    from vigie.daemon.core import db as db_mod

    members = 2000 if args.quick else 20000
    sms = members // 2
    workdir = tempfile.mkdtemp(prefix="vigie-bench-")
    figures = common.Figures()
    started = time.monotonic()
    try:
        figures.note(f"Vigientreprise benchmarks, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
                     f"{' (quick)' if args.quick else ''}")
        common.machine(figures)
        if wanted("sms"):
            sms_parts.run(figures)
        big = os.path.join(workdir, "big", "vigie.db")
        if wanted("domain") or wanted("throughput") or wanted("web"):
            db_mod.open_database(big)
            data.populate(members)
        if wanted("domain"):
            domain.run(figures, members)
        alert = None
        if wanted("throughput") or wanted("web"):
            alert = daemon_bench.throughput(figures, workdir, big, sms)
        if wanted("web"):
            db_mod.open_database(big)
            web_bench.run(figures, workdir, big, alert.id, members)
        if wanted("broadcast"):
            recipients = 60 if args.quick else 300
            daemon_bench.run_broadcasts(figures, workdir, recipients=recipients)
        if wanted("failover"):      # two modems, the preferred one unplugged mid-broadcast (--only failover)
            daemon_bench.failover(figures, workdir, recipients=60 if args.quick else 120)
        if wanted("panic"):
            daemon_bench.panic(figures, workdir, presses=5 if args.quick else 20)
        if wanted("operator"):
            import operator_route
            operator_route.run(figures, workdir, recipients=500 if args.quick else 5000, rate=50.0,
                               panics=5 if args.quick else 20)
        if wanted("confirm"):
            import confirm_bench
            confirm_bench.run(figures, workdir, rounds=3 if args.quick else 10)
        figures.figure("bench_wall_s", time.monotonic() - started, 0)
    finally:
        db_mod.close_database()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"# working directory kept: {workdir}")
    if not args.quick and not only:
        figures.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python
"""The load test (issue 7, item 8): many people at once, then the ledger is checked.

    make loadtest                               # 60 users for 180 s
    LOAD_USERS=20 LOAD_SECONDS=30 make loadtest # a quick look

Each run builds its own database (`ledger_load`) and Redis db (6) from nothing: migrate,
`seed_demo`, `seed_scale --tickets LOAD_TICKETS`, then a setup step (in `manage.py shell`)
that picks distinct real accounts (creating a few through the ORM if the seeds have too
few) and puts enough tickets into 已提交 through `workflow.ticket_submit_fix` for the
supervisors to close. gunicorn serves it on production settings on a free port.

Simulated users are threads, each with its own logged-in session, looping think time
(0.5–2 s) then an act:

- staff open the log form and POST a problem with a ~300 KB phone JPEG, then land on the
  new ticket's page (the number comes from the redirect);
- supervisors open a submitted ticket of their district and POST 销号; some tickets are
  handed to two supervisors who fire together (a barrier), so one must win and the other
  get a clean refusal (409), never a 5xx;
- admins, leaders and city admins open the district board, the city overview, ticket lists.

Pass: no 5xx and no connection errors; the tickets created during the run are exactly the
successful log POSTs, each with one `log` event; the `close_out` events written are exactly
the successful 销号 and those tickets are closed; `manage.py tally` and `verify_ledger`
exit 0. The figures go to stdout and to a section at the end of bench/RESULTS.md.
"""

import datetime
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_config import (  # noqa: E402  (first: it points bench/run.py at this run's database)
    ACTION_ORDER,
    DB_NAME,
    PG,
    RACE_SHARE,
    REQUEST_TIMEOUT,
    SECONDS,
    SECTION,
    SEED,
    THINK,
    THREADS,
    TICKETS,
    USERS,
    VAR,
    WORKERS,
    bench,
)
from load_server import (  # noqa: E402
    cpu_seconds,
    free_port,
    percentile,
    server_errors,
    server_times,
    start_server,
    stop_server,
)
from load_users import District, Recorder, SimulatedUser, login_all  # noqa: E402
from wrk_scripts import make_photo  # noqa: E402


def step(label, started):
    print(f"  {label}: {time.monotonic() - started:.1f} s", flush=True)
    return time.monotonic()


def prepare(mix):
    """A fresh database, Redis db and media directory, seeded; returns the plan."""
    t = time.monotonic()
    shutil.rmtree(VAR, ignore_errors=True)
    VAR.mkdir(parents=True)
    subprocess.run([*PG, "-c", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)"], check=True)
    subprocess.run([*PG, "-c", f"CREATE DATABASE {DB_NAME}"], check=True)
    import redis

    redis.Redis.from_url(bench.REDIS_URL).flushdb()
    t = step(f"fresh {DB_NAME} and {bench.REDIS_URL}", t)
    bench.manage("migrate", "--noinput", "-v0")
    bench.manage("collectstatic", "--noinput", "-v0")
    t = step("migrate, collectstatic", t)
    bench.manage("seed_demo", "--allow-production", capture=True)
    t = step("seed_demo", t)
    bench.manage("seed_scale", "--tickets", str(TICKETS), capture=True)
    t = step(f"seed_scale --tickets {TICKETS}", t)
    config = VAR / "config.json"
    config.write_text(json.dumps({**mix, "seconds": SECONDS, "seed": SEED, "plan": str(VAR / "plan.json")}))
    django_call("django_setup", config)
    plan = json.loads((VAR / "plan.json").read_text())
    step(f"accounts and submitted tickets ({plan['topped_up']} fixes submitted through the workflow)", t)
    return plan


def django_call(function, path):
    bench.shell(f"import sys; sys.path.insert(0, 'bench'); import load_inside; load_inside.{function}({str(path)!r})")


def mix_for(users):
    staff = round(users * 0.4)
    supervisors = round(users / 3)
    return {"staff": staff, "supervisors": supervisors, "viewers": users - staff - supervisors}


def main():
    started_at = time.monotonic()
    if not shutil.which("psql"):
        raise SystemExit("psql is needed (PostgreSQL client)")
    mix = mix_for(USERS)
    port = free_port()
    bench.PORT = port
    bench.BASE = f"http://127.0.0.1:{port}"
    command = "make loadtest" + "".join(
        f" {name}={os.environ[name]}" for name in sorted(os.environ) if name.startswith("LOAD_")
    )
    print(
        f"load test: {USERS} users ({mix['staff']} staff, {mix['supervisors']} supervisors, "
        f"{mix['viewers']} admins/leaders) for {SECONDS} s on {bench.BASE}, database {DB_NAME}",
        flush=True,
    )
    plan = prepare(mix)
    photo_path = VAR / "phone.jpg"
    make_photo(photo_path)
    photo = photo_path.read_bytes()
    log_path = VAR / "gunicorn.log"

    server = None
    interrupted = []

    def on_signal(signum, frame):
        interrupted.append(signum)
        raise KeyboardInterrupt

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    recorder = Recorder()
    stop = threading.Event()
    try:
        server = start_server(port, log_path)
        t = time.monotonic()
        sessions = login_all(plan["users"])
        step(f"{len(sessions)} logins", t)
        districts = {code: District(numbers) for code, numbers in plan["queues"].items()}
        supervisors = defaultdict(int)
        for spec in plan["users"]:
            if spec["kind"] == "supervisor":
                supervisors[spec["district"]] += 1
        users = [
            SimulatedUser(spec, sessions[spec["username"]], recorder, districts, supervisors, photo, index)
            for index, spec in enumerate(plan["users"])
        ]
        queued = sum(len(d.queue) for d in districts.values())
        print(f"running {SECONDS} s: {len(users)} users, {queued} submitted tickets queued for 销号", flush=True)
        access_offset = (VAR / "access.log").stat().st_size
        cpu_before = cpu_seconds(server.pid)
        run_started = time.monotonic()
        run_wall = datetime.datetime.now().astimezone()
        deadline = run_started + SECONDS
        threads = [threading.Thread(target=u.loop, args=(stop, deadline), daemon=True) for u in users]
        for thread in threads:
            thread.start()
        next_report = 30
        while any(thread.is_alive() for thread in threads):
            time.sleep(1)
            elapsed = time.monotonic() - run_started
            if elapsed >= next_report:
                next_report += 30
                print(f"  {elapsed:5.0f} s: {len(recorder.rows)} requests", flush=True)
            if elapsed > SECONDS + REQUEST_TIMEOUT + 10:
                stop.set()
                raise SystemExit("simulated users did not stop")
        duration = time.monotonic() - run_started
        cpu_after = cpu_seconds(server.pid)
    except KeyboardInterrupt:
        stop.set()
        stop_server(server)
        raise SystemExit(f"interrupted ({interrupted[0] if interrupted else 'SIGINT'}); gunicorn stopped") from None
    finally:
        stop.set()
        stop_server(server)

    left = {code: len(d.queue) for code, d in districts.items()}
    results = summarise(recorder.rows, duration, server_times(VAR / "access.log", access_offset))
    cpu = {name: (cpu_after[name] - cpu_before.get(name, 0)) / duration for name in cpu_after}
    logged = [n for u in users for n in u.logged]
    closed = [(n, u.name) for u in users for n in u.closed]
    conflicts = [c for u in users for c in u.conflicts]
    refused = [r for u in users for r in u.refused]
    races = sum(d.races for d in districts.values())
    check_path = VAR / "check.json"
    check_path.write_text(
        json.dumps(
            {
                "baseline": plan["baseline"],
                "logged": logged,
                "closed": closed,
                "verdict": str(VAR / "verdict.json"),
            },
            ensure_ascii=False,
        )
    )
    django_call("django_check", check_path)
    checks = json.loads((VAR / "verdict.json").read_text())
    for name, args in (("tally", ["tally"]), ("verify_ledger", ["verify_ledger"])):
        outcome = subprocess.run(
            [bench.PYTHON, "manage.py", *args], cwd=bench.ROOT, env=bench.env(), capture_output=True, text=True
        )
        detail = (outcome.stdout + outcome.stderr).strip().splitlines()
        if outcome.returncode == 0 and name == "verify_ledger":
            events = sum(int(m.group(1)) for m in map(re.compile(r": (\d+) events").search, detail) if m)
            detail = [f"{len(detail)} districts, {events:,} events, every chain intact"]
        checks.append(
            {
                "name": f"`manage.py {name}` exits 0",
                "ok": outcome.returncode == 0,
                "detail": detail[-1] if outcome.returncode == 0 and detail else " / ".join(detail[-5:]),
            }
        )
    errors_5xx = sum(1 for row in recorder.rows if row[1] >= 500)
    connection_errors = [row for row in recorder.rows if row[1] == 0]
    harness_errors = [row for row in recorder.rows if row[1] == -1]
    tracebacks = server_errors(log_path)
    checks[:0] = [
        {"name": "no 5xx responses", "ok": errors_5xx == 0, "detail": f"{errors_5xx}"},
        {
            "name": "no connection errors",
            "ok": not connection_errors,
            "detail": f"{len(connection_errors)}"
            + (f" (first: {connection_errors[0][4]} on {connection_errors[0][5]})" if connection_errors else ""),
        },
        {
            "name": "no unexpected refusals (4xx other than a 409 race)",
            "ok": not refused,
            "detail": f"{len(refused)}" + (f" (first: {refused[0]})" if refused else ""),
        },
        {
            "name": "no harness errors",
            "ok": not harness_errors,
            "detail": f"{len(harness_errors)}" + (f" (first: {harness_errors[0][4]})" if harness_errors else ""),
        },
    ]
    passed = all(c["ok"] for c in checks)
    info = bench.machine()
    section = write_section(
        info=info,
        command=command,
        mix=mix,
        plan=plan,
        results=results,
        duration=duration,
        run_wall=run_wall,
        logged=logged,
        closed=closed,
        conflicts=conflicts,
        races=races,
        left=left,
        checks=checks,
        tracebacks=tracebacks,
        passed=passed,
        cpu=cpu,
        total=time.monotonic() - started_at,
    )
    print()
    print(section)
    if not passed:
        print(f"FAILED; gunicorn's log: {log_path}", file=sys.stderr)
        sys.exit(1)


def summarise(rows, duration, server):
    by_action = defaultdict(list)
    for action, status, seconds, *_ in rows:
        by_action[action].append((status, seconds))
    results = {}
    for action in [*ACTION_ORDER, *sorted(set(by_action) - set(ACTION_ORDER))]:
        if action not in by_action:
            continue
        entries = by_action[action]
        latencies = [seconds * 1000 for status, seconds in entries if status > 0]
        statuses = defaultdict(int)
        for status, _ in entries:
            statuses[status] += 1
        results[action] = {
            "count": len(entries),
            "rps": len(entries) / duration,
            "p50": percentile(latencies, 0.50),
            "p95": percentile(latencies, 0.95),
            "p99": percentile(latencies, 0.99),
            "max": max(latencies, default=0),
            "server_p50": percentile(server.get(action, []), 0.50),
            "server_p95": percentile(server.get(action, []), 0.95),
            "statuses": dict(sorted(statuses.items())),
        }
    return results


def write_section(**r):
    results, mix, plan, info = r["results"], r["mix"], r["plan"], r["info"]
    total = sum(v["count"] for v in results.values())
    count_5xx = sum(n for v in results.values() for status, n in v["statuses"].items() if status >= 500)
    count_conn = sum(v["statuses"].get(0, 0) for v in results.values())
    statuses_409 = sum(1 for _n, status in r["conflicts"] if status == 409)
    lines = [
        SECTION,
        "",
        f"Run {r['run_wall']:%Y-%m-%d %H:%M %Z} — **{'PASSED' if r['passed'] else 'FAILED'}**. "
        f"{info['cpu']}, {info['memory']} RAM; Python {info['python']}, Django {info['django']}, "
        f"PostgreSQL {info['postgres']}, {info['redis'].split(' sha=')[0]}, {info['gunicorn']} "
        f"({WORKERS} {'gthread workers × ' + str(THREADS) + ' threads' if THREADS > 1 else 'sync workers'}, "
        "production settings), all on loopback.",
        "",
        f"Command: `{r['command']}` (the same as `.venv/bin/python bench/load.py` with those variables); "
        f"{r['total']:.0f} s in all, setup included.",
        "",
        f"Data: a fresh `{DB_NAME}` (migrate, `seed_demo`, `seed_scale --tickets {TICKETS}`: "
        f"{plan['baseline']['tickets']:,} tickets) and Redis db {bench.REDIS_URL.rsplit('/', 1)[-1]}; "
        f"{plan['topped_up']:,} fixes submitted through `workflow.ticket_submit_fix` so that "
        f"{plan['baseline']['submitted']:,} tickets wait for 销号.",
        "",
        f"Users: {USERS} distinct logged-in accounts for {r['duration']:.0f} s, think time "
        f"{THINK[0]}–{THINK[1]} s: {mix['staff']} staff logging problems in their own districts "
        f"(form, POST with a {len(Path(VAR / 'phone.jpg').read_bytes()) // 1000} KB JPEG, the new ticket's page), "
        f"{mix['supervisors']} supervisors of the districts with submitted tickets (ticket page, 销号 POST, "
        f"the page again; {RACE_SHARE:.0%} of tickets handed to two supervisors who fire together), "
        f"{mix['viewers']} admins, leaders and city admins (boards, city overview, ticket lists).",
        "",
        "| action | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | in worker p50 / p95 ms | statuses |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for action, v in results.items():
        statuses = ", ".join(f"{status or 'conn err'}: {n}" for status, n in v["statuses"].items())
        lines.append(
            f"| {action} | {v['count']:,} | {v['rps']:.1f} | {v['p50']:.0f} | {v['p95']:.0f} | {v['p99']:.0f} | "
            f"{v['max']:.0f} | {v['server_p50']:.0f} / {v['server_p95']:.0f} | {statuses} |"
        )
    lines.append(f"| **all** | {total:,} | {total / r['duration']:.1f} | | | | | | |")
    cores = os.cpu_count() or 1
    cpu = r["cpu"]
    lines += [
        "",
        'Latencies are what the clients saw (connect to last byte); "in worker" is gunicorn\'s own '
        "request time (access log `%(D)s`), without the wait for a free worker.",
        "",
        f"CPU during the run (share of the machine's {cores} cores): machine {cpu['machine'] / cores:.0%}; "
        f"gunicorn {cpu.get('gunicorn', 0) / cores:.0%}, PostgreSQL ≥ {cpu.get('postgres', 0) / cores:.0%} "
        f"(backends that ended are not counted), Redis {cpu.get('redis', 0) / cores:.0%}, "
        f"this script's clients {cpu.get('harness', 0) / cores:.0%}.",
        "",
        f"5xx responses: {count_5xx}; connection errors: {count_conn}. "
        f"Problems logged: {len(r['logged']):,}; 销号 done: {len(r['closed']):,}; "
        f"clean conflicts (409, another supervisor got there first): {statuses_409} "
        f"(from {r['races']} tickets handed to two supervisors at once); "
        f"other refusals: {len(r['conflicts']) - statuses_409}; "
        f"tickets left in the 销号 queues: {sum(r['left'].values()):,}.",
        "",
        "Checks after the run:",
        "",
    ]
    for check in [c for c in r["checks"]]:
        detail = f" — {check['detail']}" if check["detail"] else ""
        lines.append(f"- [{'x' if check['ok'] else ' '}] {check['name']}{detail}")
    if r["tracebacks"]:
        lines += ["", "Server errors in gunicorn's log (URL, exception, count):", ""]
        for (url, exception), group in sorted(r["tracebacks"].items(), key=lambda kv: -kv[1]["count"]):
            lines.append(f"- {url}: `{exception}` × {group['count']}")
        first = max(r["tracebacks"].values(), key=lambda g: g["count"])
        lines += ["", "```", first["traceback"], "```"]
    section = "\n".join(lines) + "\n"
    save_section(section)
    return section


def save_section(section):
    """Put the section at the end of RESULTS.md, below the marker that `make bench` keeps."""
    path = bench.BENCH / "RESULTS.md"
    text = path.read_text() if path.exists() else ""
    marker = bench.RESULTS_KEEP_MARKER
    if marker not in text:
        text = text.rstrip("\n") + "\n\n" + marker + "\n"
    head, tail = text.split(marker, 1)
    # Replace this test's earlier section, keep anyone else's.
    tail = re.sub(rf"(?ms)^{re.escape(SECTION)}\n.*?(?=^## |\Z)", "", tail).strip("\n")
    tail = (tail + "\n\n" if tail else "") + section
    path.write_text(head + marker + "\n\n" + tail)


if __name__ == "__main__":
    main()

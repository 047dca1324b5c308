"""Run CI's legs as a queue on the machine's cores, each into its own log.

    python3 scripts/ci_jobs.py [--slots N] < jobs

Each line of the input is `name<TAB>shell command` (blank lines and lines starting with # are
skipped). The jobs start in the order given, N at a time: as soon as one ends, the next starts,
so a long leg and a few short ones share a core instead of waiting for each other in pairs. The
longest legs go first, so the last to start are short. Every job's log is printed when all are
done, in the order given, with its time; the exit status is 1 if any job failed.

Standard library only: it runs before and beside the project's virtualenv.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Job:
    name: str
    command: str
    log: Path
    process: subprocess.Popen | None = None
    started: float = 0.0
    seconds: float = 0.0
    code: int | None = None
    handle: object = field(default=None, repr=False)


def read_jobs(lines: list[str], folder: Path) -> list[Job]:
    jobs = []
    for number, line in enumerate(lines, 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, command = line.rstrip("\n").partition("\t")
        if not command.strip():
            raise SystemExit(f"ci_jobs: line {number} has no command after a tab: {line!r}")
        jobs.append(Job(name.strip(), command.strip(), folder / f"{len(jobs):02d}.log"))
    return jobs


def start(job: Job) -> None:
    job.handle = open(job.log, "w")  # noqa: SIM115 (closed when the job ends)
    job.started = time.monotonic()
    job.process = subprocess.Popen(
        ["bash", "-c", job.command], stdout=job.handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    print(f"-- start {job.name}", flush=True)


def run(jobs: list[Job], slots: int) -> None:
    waiting = list(jobs)
    running: list[Job] = []
    began = time.monotonic()
    while waiting or running:
        while waiting and len(running) < slots:
            job = waiting.pop(0)
            start(job)
            running.append(job)
        time.sleep(1)
        for job in list(running):
            code = job.process.poll()
            if code is None:
                continue
            job.code, job.seconds = code, time.monotonic() - job.started
            job.handle.close()
            running.remove(job)
            verdict = "ok" if code == 0 else f"FAILED (exit {code})"
            print(f"-- end   {job.name}: {verdict} in {job.seconds / 60:.1f} min "
                  f"(at {(time.monotonic() - began) / 60:.1f} min)", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slots", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ci-jobs-") as folder:
        jobs = read_jobs(sys.stdin.readlines(), Path(folder))
        run(jobs, args.slots)
        for job in jobs:
            print(f"\n== {job.name} ({job.seconds / 60:.1f} min): {job.command}", flush=True)
            sys.stdout.write(job.log.read_text(errors="replace"))
        print("\n== CI legs")
        for job in jobs:
            print(f"  {'ok    ' if job.code == 0 else 'FAILED'} {job.seconds / 60:5.1f} min  {job.name}")
    return 0 if all(job.code == 0 for job in jobs) else 1


if __name__ == "__main__":
    sys.exit(main())

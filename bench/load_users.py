"""The simulated people of the load test: threads, each with its own logged-in session."""

import http.client
import random
import re
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import defaultdict, deque
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_config import (
    BOARD,
    CITY,
    CLOSE,
    LIST,
    LOG,
    LOG_FORM,
    MY,
    RACE_SHARE,
    REQUEST_TIMEOUT,
    SEED,
    THINK,
    TICKET,
    WORKERS,
    bench,
)  # noqa: E402


class Recorder:
    def __init__(self):
        self.rows = []  # (action, status, seconds, started, error)
        self.lock = threading.Lock()

    def add(self, *row):
        with self.lock:
            self.rows.append(row)


class District:
    """The shared 销号 queue of one district, and the tickets offered for a race."""

    def __init__(self, numbers):
        self.queue = deque(numbers)
        self.contested = []  # (number, barrier, owner)
        self.races = 0
        self.lock = threading.Lock()

    def take(self, who, rng, supervisors):
        with self.lock:
            for index, (number, barrier, owner) in enumerate(self.contested):
                if owner != who:
                    del self.contested[index]
                    return number, barrier
            if not self.queue:
                return None, None
            number = self.queue.popleft()
            if supervisors > 1 and rng.random() < RACE_SHARE:
                barrier = threading.Barrier(2)
                self.contested.append((number, barrier, who))
                self.races += 1
                return number, barrier
            return number, None


class SimulatedUser:
    def __init__(self, spec, session, recorder, districts, supervisors_by_district, photo, index):
        self.spec = spec
        self.name = spec["username"]
        self.session = session
        self.recorder = recorder
        self.districts = districts
        self.supervisors = supervisors_by_district
        self.photo = photo
        self.rng = random.Random(SEED * 1000 + index)
        self.logged = []  # ticket numbers from the redirects
        self.closed = []
        self.conflicts = []  # (number, status)
        self.refused = []  # (action, status, path)

    # One request: status (0 for a connection error), body, headers. Redirects are not followed.
    def request(self, action, path, data=None, headers=None):
        req = urllib.request.Request(bench.BASE + path, data=data, headers=headers or {})
        started = time.monotonic()
        wall = time.time()
        try:
            try:
                response = self.session.opener.open(req, timeout=REQUEST_TIMEOUT)
            except urllib.error.HTTPError as exc:
                response = exc
            body = response.read()
            status = response.code
        except (OSError, http.client.HTTPException) as exc:
            self.recorder.add(action, 0, time.monotonic() - started, wall, f"{type(exc).__name__}: {exc}", path)
            return 0, b"", {}
        self.recorder.add(action, status, time.monotonic() - started, wall, "", path)
        if status >= 400 and status != 409:
            self.refused.append((action, status, path))
        return status, body, response.headers

    def csrf(self):
        return self.session.cookies.get("csrftoken", "")

    def follow(self, headers):
        location = urllib.parse.urlsplit(headers.get("Location", "")).path
        if location:
            self.request(TICKET, location)
        return location

    def act(self):
        getattr(self, f"act_{self.spec['kind']}")()

    def act_staff(self):
        status, page, _ = self.request(LOG_FORM, "/tickets/new/")
        if status != 200:
            return
        # Each opened form carries its one-time key; a send without it logs nothing.
        key = re.search(rb'name="submission" value="([^"]+)"', page)
        fields = [
            ("csrfmiddlewaretoken", self.csrf()),
            ("submission", key.group(1).decode() if key else ""),
            ("point", str(self.rng.choice(self.spec["points"]))),
            ("category", str(self.rng.choice(self.spec["categories"]))),
            (
                "description",
                f"压测：{self.rng.choice(['垃圾桶满溢', '小广告', '占道经营', '积水'])} {uuid.uuid4().hex[:8]}",
            ),
            ("place", ""),
        ]
        body, content_type = multipart(fields, [("photos", "phone.jpg", "image/jpeg", self.photo)])
        status, _, headers = self.request(LOG, "/tickets/new/", body, {"Content-Type": content_type})
        if status == 302:
            location = self.follow(headers)
            match = re.fullmatch(r"/tickets/([^/]+)/", location)
            if match:
                self.logged.append(urllib.parse.unquote(match.group(1)))
            else:
                self.refused.append((LOG, f"302 to {location!r}", "/tickets/new/"))

    def act_supervisor(self):
        district = self.districts[self.spec["district"]]
        number, barrier = district.take(self.name, self.rng, self.supervisors[self.spec["district"]])
        if number is None:
            self.request(MY, "/my/")
            return
        path = f"/tickets/{urllib.parse.quote(number)}/"
        status, _, _ = self.request(TICKET, path)
        if status != 200:
            return
        if barrier is not None:
            try:
                barrier.wait(timeout=5)
            except threading.BrokenBarrierError:
                pass  # the other supervisor did not come in time: still a second try, later
        body = urllib.parse.urlencode({"csrfmiddlewaretoken": self.csrf(), "note": "现场核验合格"}).encode()
        status, _, headers = self.request(
            CLOSE, path + "close-out/", body, {"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status == 302:
            self.closed.append(number)
            self.follow(headers)
        elif 400 <= status < 500:
            self.conflicts.append((number, status))

    def act_viewer(self):
        roll = self.rng.random()
        if roll < 0.5:
            self.request(BOARD, f"/board/{self.spec['district']}/")
        else:
            self.request(LIST, self.list_path())

    def act_city(self):
        roll = self.rng.random()
        if roll < 0.4:
            self.request(CITY, "/city/")
        elif roll < 0.7:
            self.request(BOARD, f"/board/{self.rng.choice(self.spec['boards'])}/")
        else:
            self.request(LIST, self.list_path())

    def list_path(self):
        query = self.rng.choice([{}, {"state": "submitted"}, {"state": "closed"}, {"state": "rectifying"}])
        if self.rng.random() < 0.5:
            query["page"] = self.rng.randint(2, 20)
        return "/tickets/" + (f"?{urllib.parse.urlencode(query)}" if query else "")

    def loop(self, stop, deadline):
        while not stop.wait(self.rng.uniform(*THINK)) and time.monotonic() < deadline:
            try:
                self.act()
            except Exception as exc:  # a harness bug must not look like a quiet user
                self.recorder.add("harness error", -1, 0, time.time(), f"{type(exc).__name__}: {exc}", "")


def multipart(fields, files):
    boundary = f"----ledgerload{uuid.uuid4().hex}"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields
    ]
    for name, filename, content_type, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n".encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def login_all(specs):
    """Log everyone in (bench.Session: real login form, CSRF), a few at a time."""
    sessions, errors = {}, []
    lock = threading.Lock()
    by_password = defaultdict(list)
    for spec in specs:
        by_password[spec["password"]].append(spec["username"])
    for password, names in by_password.items():
        bench.PASSWORD = password  # Session reads it; each group logs in before the next is set
        pending = deque(names)

        def worker(pending=pending):
            while True:
                with lock:
                    if not pending:
                        return
                    name = pending.popleft()
                try:
                    session = bench.Session(name)
                except (SystemExit, Exception) as exc:
                    with lock:
                        errors.append(f"{name}: {exc}")
                    continue
                with lock:
                    sessions[name] = session

        threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        raise SystemExit("could not log in: " + "; ".join(errors))
    return sessions

"""What `make run` starts and says (issue 16): the demo with DEMO=1 (the product's error pages, not
Django's debug pages), and the address QR stickers point to (SITE_URL), printed with how to reach
it from a phone when it is this machine's own.

王芳 tries the ledger on her laptop; 刘洋 serves it to the phones of the office's network. The
Makefile and scripts/run.sh run as they are, with a stand-in Python and Celery (nothing is
migrated, seeded or served): the stand-in Python reads the real settings and records the rest.
"""

import os
import shutil
import subprocess  # nosec B404 - make and sh on the project's own files
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MAKE = shutil.which("make")

pytestmark = pytest.mark.skipif(MAKE is None, reason="needs make")

STUB_PYTHON = """#!/bin/sh
# The settings are read for real (run.sh asks them for SITE_URL); anything else is recorded.
if [ "$1" = "-c" ]; then exec "{python}" "$@"; fi
echo "python $* DEMO=${{DEMO:-}} DEBUG=${{DEBUG:-}}" >>"{calls}"
"""
STUB_CELERY = """#!/bin/sh
echo "celery $*" >>"{calls}"
"""


def make_run(tmp_path, *arguments):
    """`make run …` in a folder of its own, as from a fresh clone with its venv installed."""
    venv = tmp_path / "venv" / "bin"
    venv.mkdir(parents=True)
    calls = tmp_path / "calls.txt"
    for name, text in (("python", STUB_PYTHON), ("celery", STUB_CELERY)):
        stub = venv / name
        stub.write_text(text.format(python=sys.executable, calls=calls))
        stub.chmod(0o755)
    (tmp_path / "scripts").symlink_to(ROOT / "scripts")
    # The environment of a shell that has set nothing of the ledger's.
    given = {"DATABASE_URL", "REDIS_URL", "DEBUG", "DEMO", "SECRET_KEY", "SITE_URL", "HOST", "PORT", "ALLOWED_HOSTS"}
    env = {key: value for key, value in os.environ.items() if key not in given and not key.startswith("MAKE")}
    env.update(PYTHONPATH=str(ROOT), LEDGER_VAR_DIR=str(tmp_path / "var"))
    result = subprocess.run(  # nosec B603
        [MAKE, "--no-print-directory", "-f", str(ROOT / "Makefile"), "-o", "install", "run", "VENV=venv", *arguments],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout, calls.read_text().splitlines()


def test_on_a_laptop_the_demo_says_where_it_is_and_that_phones_cannot_reach_it(tmp_path):
    printed, calls = make_run(tmp_path)
    # Migrate, seed and serve, each as the demo (DEMO=1), never with Django's debug pages.
    assert calls[0] == "python manage.py migrate --noinput -v0 DEMO=1 DEBUG="
    assert calls[1] == "python manage.py seed_demo DEMO=1 DEBUG="
    assert calls[-1] == "python manage.py runserver 127.0.0.1:8000 DEMO=1 DEBUG="
    assert any(call.startswith("celery -A ledger worker --beat") for call in calls)
    # The address the stickers point to, and what to do for a phone.
    assert "地址 Address:   http://127.0.0.1:8000/   (监听 listening on 127.0.0.1:8000)" in printed
    assert "SITE_URL:       http://127.0.0.1:8000\n" in printed
    assert "二维码指向本机地址，手机扫码无法打开" in printed
    assert "make run HOST=0.0.0.0 SITE_URL=http://<局域网地址>:8000" in printed
    assert "本机地址 (hostname -I):" in printed


def test_served_to_the_offices_network_the_stickers_point_at_its_address(tmp_path):
    printed, calls = make_run(tmp_path, "HOST=0.0.0.0", "SITE_URL=http://192.168.1.20:8000")
    assert calls[-1] == "python manage.py runserver 0.0.0.0:8000 DEMO=1 DEBUG="
    assert "SITE_URL:       http://192.168.1.20:8000\n" in printed
    assert "(监听 listening on 0.0.0.0:8000)" in printed
    assert "手机扫码无法打开" not in printed and "hostname -I" not in printed


def test_another_port_is_served_and_printed(tmp_path):
    printed, calls = make_run(tmp_path, "PORT=8100")
    assert calls[-1] == "python manage.py runserver 127.0.0.1:8100 DEMO=1 DEBUG="
    assert "SITE_URL:       http://127.0.0.1:8100\n" in printed
    assert "SITE_URL=http://<局域网地址>:8100" in printed

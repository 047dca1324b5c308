#!/bin/sh
# The suite (without the browser journeys) on Python 3.13 and the newest Django 6, from
# requirements-django6.txt, in its own venv (.venv-django6). Production stays on Django 5.2
# LTS; this leg says early what the next LTS will break. Usage: sh scripts/test_django6.sh
set -eu
VENV=${VENV6:-.venv-django6}
python=""
# A pyenv shim answers `command -v python3.13` even when 3.13 is not the selected version
# and then fails to run, so each candidate has to actually start.
for candidate in "$(pyenv root 2>/dev/null)/versions/3.13"*/bin/python "$HOME/.pyenv/versions/3.13"*/bin/python python3.13; do
  if "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then
    python=$(command -v "$candidate"); break
  fi
done
if [ -z "$python" ]; then
  echo "test-django6: skipped — this machine has no Python 3.13 (pyenv install 3.13 to run it)"
  exit 0
fi
if [ ! -x "$VENV/bin/python" ]; then
  "$python" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
fi
if [ ! -f "$VENV/.installed" ] || [ requirements-django6.txt -nt "$VENV/.installed" ]; then
  "$VENV/bin/pip" install --quiet -r requirements-django6.txt
  touch "$VENV/.installed"
fi
"$VENV/bin/python" -c 'import django, sys; print(f"== Django {django.get_version()} on Python {sys.version.split()[0]}")'
exec "$VENV/bin/pytest" -q -m "not browser" "$@"

#!/bin/sh
# The suite with the whole process clock moved (libfaketime), on the embedded defaults.
# Each test starts at the moved clock (LEDGER_TEST_CLOCK=process, see tests/conftest.py),
# so a test that silently depends on "today" fails here. Browser journeys keep Chromium's
# own clock and are left out. Usage: sh scripts/test_clocks.sh [pytest args]
set -u
BIN=${BIN:-.venv/bin}
if ! command -v faketime >/dev/null 2>&1; then
  echo "test-clocks needs libfaketime: apt-get install faketime" >&2
  exit 2
fi
# UTC instant | what it is in Beijing
CLOCKS="
2027-01-04 10:30:00|18:30 on 2027-01-04, first working day of a year the holiday package does not know
2026-11-30 16:30:00|00:30 on 2026-12-01, a new month in Beijing and still November in UTC
2026-10-10 01:30:00|09:30 on Saturday 2026-10-10, a 调休 working day
2026-10-04 03:00:00|11:00 on Sunday 2026-10-04, inside the National Day holiday
"
failed=""
IFS='
'
for line in $CLOCKS; do
  [ -n "$line" ] || continue
  clock=${line%%|*}
  echo "== make test-clocks: $clock UTC (${line#*|})"
  if ! env -u DATABASE_URL -u REDIS_URL -u REQUIRE_CELERY_E2E TZ=UTC LEDGER_TEST_CLOCK=process \
      faketime "$clock" "$BIN/pytest" -q -m "not browser" "$@"; then
    failed="$failed
  $clock UTC"
  fi
done
if [ -n "$failed" ]; then
  echo "test-clocks: red at$failed" >&2
  exit 1
fi
echo "test-clocks: green at every clock"

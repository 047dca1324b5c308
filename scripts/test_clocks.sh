#!/bin/sh
# The suite with the whole process clock moved (libfaketime), on the embedded defaults.
# Each test starts at the moved clock (LEDGER_TEST_CLOCK=process, see tests/conftest.py),
# so a test that silently depends on "today" fails here. Browser journeys keep Chromium's
# own clock and are left out, and so are the static checks (marker static). Usage: sh scripts/test_clocks.sh [pytest args]
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
# Two clocks at a time (CI has two cores; each run is its own process with its own in-memory
# database), each into its own log, printed in order when both are done. CLOCK_ONLY="2 4" runs
# only those clocks (.ci/run queues each clock as a leg of its own).
JOBS=${CLOCK_JOBS:-2}
ONLY=${CLOCK_ONLY:-}
LOGS=$(mktemp -d)
failed=""
run_clock() {  # index, UTC instant, what it is in Beijing, then the pytest arguments
  n=$1 clock=$2 what=$3
  shift 3
  {
    echo "== make test-clocks: $clock UTC ($what)"
    env -u DATABASE_URL -u REDIS_URL -u REQUIRE_CELERY_E2E TZ=UTC LEDGER_TEST_CLOCK=process \
      faketime "$clock" "$BIN/pytest" -q -m "not browser and not static" "$@"
    echo "rc=$?"
  } >"$LOGS/$n.log" 2>&1
}
IFS='
'
index=0
running=0
for line in $CLOCKS; do
  [ -n "$line" ] || continue
  index=$((index + 1))
  if [ -n "$ONLY" ]; then
    case " $ONLY " in *" $index "*) ;; *) continue ;; esac
  fi
  clock=${line%%|*}
  what=${line#*|}
  (unset IFS; run_clock "$index" "$clock" "$what" "$@") &
  running=$((running + 1))
  if [ "$running" -ge "$JOBS" ]; then
    wait
    running=0
  fi
done
wait
for log in "$LOGS"/*.log; do
  cat "$log"
  if ! tail -n 1 "$log" | grep -q "^rc=0$"; then
    failed="$failed
  $(head -n 1 "$log" | sed 's/^== make test-clocks: //')"
  fi
done
rm -rf "$LOGS"
if [ -n "$failed" ]; then
  echo "test-clocks: red at$failed" >&2
  exit 1
fi
echo "test-clocks: green at every clock"

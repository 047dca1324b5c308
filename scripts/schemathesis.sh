#!/bin/sh
# `make schemathesis`: the API tested against its own schema by an outside tester.
#
# A small ledger (two districts of 四平市, a few tickets in every state) in a throwaway SQLite
# file, a read token (铁西区's leader) and a write token (its supervisor) from the api_token
# command, the web server on a free loopback port, then schemathesis over /api/v1 and Open311
# with each token: a fixed seed and a bounded number of examples per operation. It fails on any
# server error (5xx) and on any answer that breaks the schema (status, content type, body).
set -eu
: "${BIN:=.venv/bin}" "${PORT:=8765}" "${EXAMPLES:=10}" "${SEED:=19}"
WORK=$(mktemp -d)
export DATABASE_URL="sqlite:///$WORK/ledger.sqlite3" DEMO=1 REDIS_URL="" API_RATE_PER_MINUTE=100000
export MEDIA_ROOT="$WORK/media"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT INT TERM

"$BIN/python" manage.py migrate --noinput -v0
"$BIN/python" manage.py shell -v0 -c "
from campaigns.models import OrgUnit, UnitKind
from tests.factories import District
city = OrgUnit.objects.create(name='四平市', kind=UnitKind.CITY, code='SP')
tx, td = District(city, '铁西区', 'TX', 'tx'), District(city, '铁东区', 'TD', 'td')
for d in (tx, td):
    d.log(); d.assigned(signed=False); d.assigned(); d.submitted(); d.closed()
"
READ=$("$BIN/python" manage.py api_token --user tx_leader --districts TX --scope read --name schemathesis)
WRITE=$("$BIN/python" manage.py api_token --user tx_supervisor --districts TX --scope write --name schemathesis)

"$BIN/python" manage.py runserver "127.0.0.1:$PORT" --noreload --skip-checks >"$WORK/server.log" 2>&1 &
SERVER=$!
BASE="http://127.0.0.1:$PORT"

# The read and the write token run side by side (the server answers both at once); the coverage
# phase tries each parameter's edges, fuzzing draws EXAMPLES cases per operation.
status=0
for schema in api/v1/openapi.json api/open311/v2/openapi.json; do
  pids=""
  for token in "$READ" "$WRITE"; do
    "$BIN/schemathesis" run "$BASE/$schema" --wait-for-schema 60 \
      -H "Authorization: Bearer $token" \
      --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
      --phases coverage,fuzzing --seed "$SEED" --max-examples "$EXAMPLES" --no-shrink \
      --suppress-health-check all --warnings off >"$WORK/st-$$-${#pids}.log" 2>&1 &
    pids="$pids $!"
  done
  for pid in $pids; do wait "$pid" || status=1; done
  cat "$WORK"/st-*.log; rm -f "$WORK"/st-*.log
done
[ "$status" -eq 0 ] || { echo "schemathesis found problems; the server's log:"; tail -n 40 "$WORK/server.log"; }
exit "$status"

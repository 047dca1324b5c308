#!/bin/sh
# Started by `make run`: a Celery worker with embedded beat in the background, the web
# server in the foreground; stopping the one stops the other.
set -eu
: "${BIN:=.venv/bin}" "${HOST:=127.0.0.1}" "${PORT:=8000}"
mkdir -p var
"$BIN/celery" -A ledger worker --beat --loglevel=INFO --concurrency=1 \
  --schedule=var/celerybeat-schedule >var/celery.log 2>&1 &
WORKER=$!
trap 'kill $WORKER 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  创卫台账已启动 · The campaign ledger is running
  ─────────────────────────────────────────────
  地址 Address:   http://$HOST:$PORT/
  演示密码 Password for every demo login:  Demo@2026
    tx_staff       铁西区 街道网格员（手机登记问题）
    tx_unit        铁西区 区执法局联络员（提交整改）
    tx_supervisor  铁西区 督导（交办、核验销号）
    tx_admin       铁西区 管理员 · /admin/ 系统设置
    tx_leader      铁西区 区领导（只读）
    td_staff / td_supervisor / td_admin   铁东区
    city_admin     四平市创卫办（全部区）
  Celery worker + beat: pid $WORKER, log var/celery.log
  Database: ${DATABASE_URL:-SQLite var/ledger.sqlite3} · Broker: ${REDIS_URL:-filesystem var/broker}

MSG
"$BIN/python" manage.py runserver "$HOST:$PORT"

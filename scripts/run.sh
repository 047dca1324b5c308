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

# The address QR stickers and links point to, as the settings read it (SITE_URL, else HOST/PORT).
SITE=$("$BIN/python" -c "import ledger.settings as s; print(s.SITE_URL)")
case "$SITE" in
  http://127.* | https://127.* | http://localhost* | https://localhost* | http://\[::1\]* | https://\[::1\]*)
    ADDRESSES=$(hostname -I 2>/dev/null || true)
    PHONES="
  手机扫码 Phones:  二维码指向本机地址，手机扫码无法打开。手机与电脑连同一网络时，用本机的局域网地址启动：
                    make run HOST=0.0.0.0 SITE_URL=http://<局域网地址>:$PORT
                    本机地址 (hostname -I): ${ADDRESSES:-用 ip addr 查看}"
    ;;
  *) PHONES="" ;;
esac

cat <<MSG

  创卫台账已启动 · The campaign ledger is running
  ─────────────────────────────────────────────
  地址 Address:   $SITE/   (监听 listening on $HOST:$PORT)
  SITE_URL:       $SITE$PHONES
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

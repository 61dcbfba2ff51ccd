#!/usr/bin/env bash
# A PostgreSQL streaming replica of the local primary, for the tests, CI and development.
#
#   deploy/pg-replica.sh start    base backup of the primary (pg_basebackup -R), start it, wait
#                                 until it is in recovery and streaming; prints the URL to export
#   deploy/pg-replica.sh stop     stop it, remove its directory and the primary's slot, and the
#                                 pg_hba line `start` added (only that one: it carries a marker)
#   deploy/pg-replica.sh status   exit 0 when it is up, in recovery and streaming
#
# Settings (environment): PRIMARY_HOST/PRIMARY_PORT (127.0.0.1:5432), REPLICA_PORT (5433),
# REPLICA_DIR (/tmp/rxportal-pg-replica-$REPLICA_PORT), PG_BIN (/usr/lib/postgresql/15/bin),
# PG_SUPERUSER (postgres), PRIMARY_HBA (the Debian cluster's pg_hba.conf).
#
# The primary needs one thing the stock Debian cluster lacks: a pg_hba line that lets loopback
# make replication connections ("all" in pg_hba does not cover them). `start` appends
#   host replication all 127.0.0.1/32 trust
# when missing (same trust as the file's other loopback line), marked with HBA_MARKER, and reloads
# the primary; it says so. `stop` removes that marked line (never an unmarked one an operator
# wrote) and reloads again. Other replicas of the same primary (another REPLICA_PORT) need the
# line too: stop them all before one `stop`, or start again after (start re-adds it).
# wal_level=replica and max_wal_senders are already the defaults of PostgreSQL 15; `start` checks.
# A physical slot (rxportal_replica_<port>) keeps the WAL the replica still needs; `stop` drops it.
set -euo pipefail

PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_PORT=${REPLICA_PORT:-5433}
REPLICA_DIR=${REPLICA_DIR:-/tmp/rxportal-pg-replica-$REPLICA_PORT}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_SUPERUSER=${PG_SUPERUSER:-postgres}
PRIMARY_HBA=${PRIMARY_HBA:-/etc/postgresql/15/main/pg_hba.conf}
SLOT="rxportal_replica_${REPLICA_PORT}"
HBA_LINE="host replication all 127.0.0.1/32 trust"
HBA_MARKER="# added by rxportal deploy/pg-replica.sh"

say() { printf 'pg-replica: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The server refuses to run as root: run its tools as the cluster's owner when we are root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$PG_SUPERUSER" -- "$@"; else "$@"; fi
}

primary_sql() {
  "$PG_BIN/psql" -X -q -At -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PG_SUPERUSER" -d postgres \
    -v ON_ERROR_STOP=1 -c "$1"
}

replica_sql() {
  "$PG_BIN/psql" -X -q -At -h 127.0.0.1 -p "$REPLICA_PORT" -U "$PG_SUPERUSER" -d postgres \
    -v ON_ERROR_STOP=1 -c "$1"
}

is_streaming() {
  [ "$(replica_sql 'SELECT pg_is_in_recovery()' 2>/dev/null)" = t ] &&
    [ "$(replica_sql "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'" \
      2>/dev/null)" = 1 ]
}

prepare_primary() {
  primary_sql 'SELECT 1' >/dev/null || die "no primary on $PRIMARY_HOST:$PRIMARY_PORT"
  local wal_level senders
  wal_level=$(primary_sql 'SHOW wal_level')
  senders=$(primary_sql 'SHOW max_wal_senders')
  case "$wal_level" in replica | logical) ;; *) die "primary has wal_level=$wal_level (needs replica)" ;; esac
  [ "$senders" -gt 0 ] || die "primary has max_wal_senders=0"
  if ! grep -Eq '^[[:space:]]*host[[:space:]]+replication[[:space:]]+all[[:space:]]+127\.0\.0\.1/32' \
    "$PRIMARY_HBA"; then
    [ -w "$PRIMARY_HBA" ] || die "cannot add the replication line to $PRIMARY_HBA (run as root)"
    printf '%s  %s\n' "$HBA_LINE" "$HBA_MARKER" >>"$PRIMARY_HBA"
    primary_sql 'SELECT pg_reload_conf()' >/dev/null
    say "added '$HBA_LINE' to $PRIMARY_HBA and reloaded the primary"
  fi
}

stop_server() {
  if [ -f "$REPLICA_DIR/postmaster.pid" ]; then
    as_owner "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" -m fast -w stop >/dev/null || true
  fi
}

drop_slot() {
  primary_sql "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
               WHERE slot_name = '$SLOT' AND NOT active" >/dev/null 2>&1 || true
}

start() {
  if is_streaming; then
    say "already streaming on 127.0.0.1:$REPLICA_PORT"
    echo "postgres://$PG_SUPERUSER@127.0.0.1:$REPLICA_PORT"
    return 0
  fi
  prepare_primary
  stop_server
  rm -rf "$REPLICA_DIR"
  drop_slot
  mkdir -p "$REPLICA_DIR"
  chmod 700 "$REPLICA_DIR"
  [ "$(id -u)" = 0 ] && chown "$PG_SUPERUSER": "$REPLICA_DIR"
  say "base backup of $PRIMARY_HOST:$PRIMARY_PORT into $REPLICA_DIR"
  # -R writes standby.signal and primary_conninfo; -C -S creates the slot that holds our WAL.
  as_owner "$PG_BIN/pg_basebackup" -h "$PRIMARY_HOST" -p "$PRIMARY_PORT" -U "$PG_SUPERUSER" \
    -D "$REPLICA_DIR" -R -X stream -C -S "$SLOT" --checkpoint=fast
  # Debian keeps postgresql.conf and pg_hba.conf in /etc, so the copy has none: write our own.
  as_owner tee "$REPLICA_DIR/postgresql.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $REPLICA_PORT
unix_socket_directories = '$REPLICA_DIR'
hot_standby = on
hot_standby_feedback = on
max_connections = 100
shared_buffers = 64MB
fsync = off  # a throwaway copy: nothing here outlives the primary
logging_collector = off
CONF
  as_owner tee "$REPLICA_DIR/pg_hba.conf" >/dev/null <<HBA
local all all trust
host all all 127.0.0.1/32 trust
HBA
  as_owner "$PG_BIN/pg_ctl" -D "$REPLICA_DIR" -l "$REPLICA_DIR/server.log" -w -t 60 start >/dev/null
  for _ in $(seq 1 60); do
    if is_streaming; then
      say "streaming on 127.0.0.1:$REPLICA_PORT (slot $SLOT)"
      echo "postgres://$PG_SUPERUSER@127.0.0.1:$REPLICA_PORT"
      return 0
    fi
    sleep 1
  done
  tail -n 20 "$REPLICA_DIR/server.log" >&2 || true
  die "the replica did not start streaming within 60 s"
}

# Only the line `start` wrote (exactly, marker included); the file keeps its owner and mode.
remove_hba_line() {
  [ -f "$PRIMARY_HBA" ] && grep -Fxq "$HBA_LINE  $HBA_MARKER" "$PRIMARY_HBA" || return 0
  [ -w "$PRIMARY_HBA" ] || { say "cannot remove our replication line from $PRIMARY_HBA"; return 0; }
  local kept
  kept=$(grep -Fxv "$HBA_LINE  $HBA_MARKER" "$PRIMARY_HBA" || true)
  printf '%s\n' "$kept" >"$PRIMARY_HBA"
  if primary_sql 'SELECT pg_reload_conf()' >/dev/null 2>&1; then
    say "removed '$HBA_LINE' from $PRIMARY_HBA and reloaded the primary"
  else
    say "removed '$HBA_LINE' from $PRIMARY_HBA; reload the primary (it did not answer)"
  fi
}

stop() {
  stop_server
  rm -rf "$REPLICA_DIR"
  drop_slot
  remove_hba_line
  say "stopped; removed $REPLICA_DIR and slot $SLOT"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) is_streaming && say "streaming on 127.0.0.1:$REPLICA_PORT" ;;
  *) die "usage: $0 start|stop|status" ;;
esac

#!/usr/bin/env bash
# A throwaway PostgreSQL server in a folder, for tests and experiments (never for production).
#
#   scripts/pg_local.sh start DIR    create (first time) and start a cluster in DIR; prints its URL
#                                    postgresql://postgres@127.0.0.1:PORT/cds_test on stdout
#   scripts/pg_local.sh stop DIR     stop it (nothing to do if it is not running)
#   scripts/pg_local.sh url DIR      print the URL of the running server (exit 1 if not running)
#   scripts/pg_local.sh status DIR   exit 0 if running
#
# Only the URL goes to stdout: `export CDS_PG_URL=$(scripts/pg_local.sh start /tmp/pg)`.
# Both commands are idempotent: `start` on a running cluster prints the same URL again, `start` on a
# stopped one restarts it (on its previous port if that is still free), `stop` twice is fine.
#
# The server listens on 127.0.0.1 only (a free port picked at start), its unix socket is in DIR, and
# every local connection is trusted (no password). The database `cds_test` is created if missing.
# As root, the server runs as the `postgres` OS user (PG_LOCAL_USER to choose another); as any
# other user, it runs as that user. Installing PostgreSQL is done elsewhere
# (`apt-get install -y postgresql`); PG_BIN may name the folder holding initdb/pg_ctl.
# PG_LOCAL_FSYNC=off turns off fsync and synchronous_commit (faster tests, no crash safety).
set -euo pipefail

DB_NAME=cds_test
SUPERUSER=postgres
START_TIMEOUT=${PG_LOCAL_TIMEOUT:-60}

die() { echo "pg_local: $*" >&2; exit 1; }
note() { echo "pg_local: $*" >&2; }

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

[ $# -eq 2 ] || usage
cmd=$1
case "$cmd" in start | stop | url | status) ;; *) usage ;; esac
[ -n "$2" ] || usage
DIR=$(realpath -m -- "$2")
DATA=$DIR/data
PORT_FILE=$DIR/port
LOG=$DIR/server.log

# --- the binaries --------------------------------------------------------------------------------
find_bin() {
  local dir
  if [ -n "${PG_BIN:-}" ]; then
    [ -x "$PG_BIN/pg_ctl" ] || die "PG_BIN=$PG_BIN holds no pg_ctl."
    echo "$PG_BIN"; return
  fi
  # Debian keeps the server binaries off PATH, one folder per major version: take the newest
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n -r); do
    [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] && [ -x "$dir/postgres" ] && { echo "$dir"; return; }
  done
  if command -v pg_ctl >/dev/null 2>&1 && command -v initdb >/dev/null 2>&1; then
    dirname "$(command -v pg_ctl)"; return
  fi
  die "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in /usr/lib/postgresql/*/bin or on PATH. Install them first: apt-get install -y postgresql (or set PG_BIN)."
}
BIN=$(find_bin)
for tool in initdb pg_ctl postgres pg_isready psql createdb; do
  [ -x "$BIN/$tool" ] || command -v "$tool" >/dev/null 2>&1 ||
    die "$tool is missing (looked in $BIN and on PATH): install the postgresql and postgresql-client packages."
done
tool() { if [ -x "$BIN/$1" ]; then echo "$BIN/$1"; else command -v "$1"; fi; }

# --- who runs the server -------------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
  RUN_AS=${PG_LOCAL_USER:-postgres}
  id -u "$RUN_AS" >/dev/null 2>&1 ||
    die "as root the server must run as an unprivileged user, and user '$RUN_AS' does not exist (the postgresql package creates 'postgres'; or set PG_LOCAL_USER)."
  command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is needed to run PostgreSQL as $RUN_AS."
  # from DIR, so that the server user is never left in a folder it may not read (e.g. /root)
  # fd 9 (our flock) closed: the server must not inherit the lock and hold it forever
  as_server() { (cd "$DIR" && runuser -u "$RUN_AS" -- "$@" 9>&-); }
else
  RUN_AS=$(id -un)
  as_server() { (cd "$DIR" && "$@" 9>&-); }
fi

# --- helpers -------------------------------------------------------------------------------------
url_for() { echo "postgresql://$SUPERUSER@127.0.0.1:$1/$DB_NAME"; }

running() { [ -f "$DATA/PG_VERSION" ] && as_server "$(tool pg_ctl)" status -D "$DATA" >/dev/null 2>&1; }

port_in_use() { # something accepts connections on 127.0.0.1:$1
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_port() { # a port nobody listens on; `start` retries if another process takes it first
  local port i
  for i in $(seq 1 200); do
    port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
    port_in_use "$port" || { echo "$port"; return; }
  done
  die "found no free TCP port on 127.0.0.1."
}

wait_ready() { # until the server accepts connections to the `postgres` database
  local port=$1 deadline=$((SECONDS + START_TIMEOUT))
  until "$(tool pg_isready)" -q -h 127.0.0.1 -p "$port" -d postgres -U "$SUPERUSER" &&
    "$(tool psql)" -X -q -h 127.0.0.1 -p "$port" -U "$SUPERUSER" -d postgres -tAc "SELECT 1" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || { tail -n 20 "$LOG" >&2 2>/dev/null || true; die "server on port $port not ready after ${START_TIMEOUT}s (log: $LOG)."; }
    sleep 0.2
  done
}

init_cluster() {
  mkdir -p "$DIR"
  chmod 0755 "$DIR"
  [ "$RUN_AS" = "$(id -un)" ] || chown "$RUN_AS:" "$DIR"
  as_server test -w "$DIR" ||
    die "$RUN_AS cannot write to $DIR: choose a folder every parent of which $RUN_AS may enter (e.g. under /tmp)."
  local sock_len=$((${#DIR} + 18))
  [ $sock_len -le 107 ] || die "$DIR is too long for a unix socket path (limit 107 characters): choose a shorter folder."
  if [ -d "$DATA" ] && [ -n "$(ls -A "$DATA")" ]; then
    die "$DATA exists, is not empty and holds no cluster (no PG_VERSION): remove it or choose another folder."
  fi
  note "initdb in $DATA (server user $RUN_AS)"
  as_server "$(tool initdb)" -D "$DATA" -U "$SUPERUSER" --auth=trust --encoding=UTF8 --no-locale \
    --no-instructions >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; die "initdb failed."; }
  # loopback only, trusted; the unix socket lives in DIR
  cat >"$DATA/pg_hba.conf" <<'EOF'
# pg_local.sh: loopback only, no passwords (a throwaway test server)
local   all             all                                     trust
host    all             all             127.0.0.1/32            trust
local   replication     all                                     trust
host    replication     all             127.0.0.1/32            trust
EOF
  {
    echo "# pg_local.sh"
    echo "listen_addresses = '127.0.0.1'"
    echo "unix_socket_directories = '$DIR'"
    echo "logging_collector = off"
    echo "max_connections = 100"
    if [ "${PG_LOCAL_FSYNC:-on}" = off ]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } >>"$DATA/postgresql.conf"
  [ "$RUN_AS" = "$(id -un)" ] || chown "$RUN_AS:" "$DATA/pg_hba.conf" "$DATA/postgresql.conf"
}

start() {
  if running; then
    local port
    port=$(cat "$PORT_FILE" 2>/dev/null) || die "a server runs from $DATA but $PORT_FILE is missing."
    wait_ready "$port"
  else
    [ -f "$DATA/PG_VERSION" ] || init_cluster
    local port="" attempt
    if [ -f "$PORT_FILE" ] && ! port_in_use "$(cat "$PORT_FILE")"; then port=$(cat "$PORT_FILE"); fi
    for attempt in 1 2 3 4 5; do
      [ -n "$port" ] || port=$(pick_port)
      touch "$LOG" && { [ "$RUN_AS" = "$(id -un)" ] || chown "$RUN_AS:" "$LOG"; }
      if as_server "$(tool pg_ctl)" start -D "$DATA" -l "$LOG" -w -t "$START_TIMEOUT" -o "-p $port" >/dev/null 2>&1; then
        break
      fi
      if grep -q "could not bind\|Address already in use\|could not create any TCP/IP sockets" "$LOG"; then
        note "port $port was taken, trying another"
        port=""
        continue
      fi
      tail -n 20 "$LOG" >&2 || true
      die "pg_ctl start failed (log: $LOG)."
    done
    running || die "could not start the server after 5 ports (log: $LOG)."
    echo "$port" >"$PORT_FILE"
    wait_ready "$port"
  fi
  local exists
  exists=$("$(tool psql)" -X -h 127.0.0.1 -p "$port" -U "$SUPERUSER" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")
  if [ "$exists" != 1 ]; then
    "$(tool createdb)" -h 127.0.0.1 -p "$port" -U "$SUPERUSER" "$DB_NAME" >&2 || die "createdb $DB_NAME failed."
  fi
  url_for "$port"
}

stop() {
  if running; then
    as_server "$(tool pg_ctl)" stop -D "$DATA" -m fast -w -t "$START_TIMEOUT" >/dev/null ||
      die "pg_ctl stop failed (log: $LOG)."
    note "stopped the server in $DATA"
  else
    note "no server running in $DATA"
  fi
}

if [ "$cmd" != start ] && [ ! -d "$DIR" ]; then
  case "$cmd" in
    stop) note "no server in $DIR (no such folder)"; exit 0 ;;
    status) exit 1 ;;
    url) die "no server in $DIR (no such folder)" ;;
  esac
fi
# one pg_local.sh at a time per folder (two CI steps starting the same DIR)
mkdir -p "$DIR"
exec 9>>"$DIR/.pg_local.lock"
flock -w "$START_TIMEOUT" 9 || die "another pg_local.sh holds $DIR/.pg_local.lock."

case "$cmd" in
  start) start ;;
  stop) stop ;;
  url) running || die "no server running in $DATA"; url_for "$(cat "$PORT_FILE")" ;;
  status) running ;;
esac

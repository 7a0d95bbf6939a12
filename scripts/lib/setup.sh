# shellcheck shell=bash
# Set-up shared by scripts/run, scripts/test and .ci/run; sourced, never run. Each step checks
# before it acts, so on a machine that has everything it only looks (no apt-get update).

ipscopy_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

step() { printf '\n==> %s\n' "$*"; }
die() { # FIRST-LINE [MORE-LINES...]
  printf 'error: %s\n' "$1" >&2
  shift
  (($#)) && printf '  %s\n' "$@" >&2
  exit 1
}

# How to run a command as root: directly, through sudo (which may ask for a password on a
# terminal), or not at all (callers then say what to run instead).
as_root=()
have_root=no
if ((EUID == 0)); then
  have_root=yes
elif command -v sudo >/dev/null && { sudo -n true 2>/dev/null || [[ -t 0 ]]; }; then
  as_root=(sudo)
  have_root=yes
fi
can_be_root() { [[ $have_root == yes ]]; }

# Rust comes from rustup, not apt: Debian's packaged toolchain is older than rust-version.
require_rust() {
  if ! command -v cargo >/dev/null && [[ -x $HOME/.cargo/bin/cargo ]]; then
    PATH="$HOME/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null && return
  local want
  want="$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' "$ipscopy_root/Cargo.toml" | head -n1)"
  die "no cargo on PATH: install a Rust toolchain ${want:+(>= $want) }with rustup (https://rustup.rs)"
}

# .ci/apt-packages: one package a line, optionally followed by the word "test" when only the
# tests need it. MODE "run" takes the untagged ones, "test" all of them.
missing_packages() {
  local mode=$1 pkg need status
  while read -r pkg need || [[ -n $pkg ]]; do
    [[ -z $pkg || $pkg == \#* ]] && continue
    [[ $need == test && $mode != test ]] && continue
    # The status-page test uses $CHROMIUM instead of Debian's when it is set.
    [[ $pkg == chromium && -n ${CHROMIUM:-} ]] && continue
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [[ $status == installed ]] || printf '%s\n' "$pkg"
  done <"$ipscopy_root/.ci/apt-packages"
  # The leftover-database clean-up needs psql (postgresql-client), wherever the server is.
  [[ $mode == test ]] && ! command -v psql >/dev/null && printf '%s\n' postgresql-client
  return 0
}

install_packages() {
  local mode=$1 missing
  if ! command -v dpkg-query >/dev/null; then
    echo "not a Debian system: make sure the packages in .ci/apt-packages (or their equivalents) are installed"
    return
  fi
  mapfile -t missing < <(missing_packages "$mode")
  ((${#missing[@]})) || return 0
  if ! can_be_root; then
    die "missing Debian packages; install them as root and run this again:" \
      "apt-get install ${missing[*]}"
  fi
  step "installing ${missing[*]} (apt-get)"
  if ! { "${as_root[@]}" apt-get -o DPkg::Lock::Timeout=600 update -qq \
    && "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}"; }; then
    die "apt-get failed (above); these Debian packages are still missing:" "apt-get install ${missing[*]}"
  fi
}

# url_endpoint URL DEFAULT_PORT prints "HOST PORT" of a postgres:// or amqp:// URL.
url_endpoint() {
  local rest=${1#*://} host port
  rest=${rest%%[/?#]*}
  rest=${rest##*@}
  if [[ $rest == \[* ]]; then
    host=${rest%%]*}
    host=${host#[}
    port=${rest#*]}
  else
    host=${rest%%:*}
    port=${rest#"$host"}
  fi
  port=${port#:}
  printf '%s %s\n' "${host:-127.0.0.1}" "${port:-$2}"
}

is_local() { [[ $1 == 127.* || $1 == localhost || $1 == ::1 ]]; }

# shellcheck disable=SC2016 # $0 and $1 belong to the inner shell
tcp_open() { timeout 3 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$1" "$2" 2>/dev/null; }

pg_up() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h "$1" -p "$2"
  else
    tcp_open "$1" "$2"
  fi
}

wait_for() { # SECONDS CHECK ARGS...: true once CHECK succeeds
  local seconds=$1 i
  shift
  for ((i = 0; i < seconds; i++)); do
    "$@" && return 0
    sleep 1
  done
  "$@"
}

# Starts the local Debian cluster that listens on PORT. Returns 1 when PostgreSQL is not
# installed, 2 when no cluster of it listens there.
start_local_postgres() {
  local port=$1 ver name cport clusters=0
  command -v pg_lsclusters >/dev/null || return 1
  while read -r ver name cport _; do
    clusters=$((clusters + 1))
    [[ $cport == "$port" ]] && break
  done < <(pg_lsclusters -h 2>/dev/null)
  ((clusters)) || return 1
  [[ $cport == "$port" ]] || return 2
  if ! can_be_root; then
    problems+=("PostgreSQL $ver/$name is installed but not running; as root: pg_ctlcluster --skip-systemctl-redirect $ver $name start")
    return 0
  fi
  echo "starting PostgreSQL $ver/$name"
  "${as_root[@]}" pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start || true
}

# A fresh Debian cluster asks for a password over TCP, which the default URLs do not carry:
# say so here rather than through the first failing query.
check_pg_login() { # URL VAR
  command -v psql >/dev/null || return 0
  local url=$1 query="" rest err
  [[ $url == *\?* ]] && query="?${url#*\?}"
  url=${url%%\?*}
  rest=${url#*://}
  if ! err="$(PGCONNECT_TIMEOUT=5 psql -w "${url%%://*}://${rest%%/*}/postgres$query" -Atqc 'select 1' 2>&1 >/dev/null)"; then
    problems+=("PostgreSQL refuses the login of $2: ${err//$'\n'/ }"
      "(check the user and password in $2; a fresh Debian cluster wants a password over TCP:" \
      "set one and put it in $2, or trust 127.0.0.1 in pg_hba.conf)")
  fi
}

rabbitmq_server() {
  command -v rabbitmq-server 2>/dev/null || { [[ -x /usr/sbin/rabbitmq-server ]] && echo /usr/sbin/rabbitmq-server; }
}

# ensure_services PG_URL PG_VAR AMQP_URL: PostgreSQL and RabbitMQ answer, or the script ends
# saying what to do. Local servers that are installed but down are started; remote ones are
# only checked. PG_VAR names the variable that points elsewhere (DATABASE_URL or TEST_POSTGRES_URL).
ensure_services() {
  local pg_var=$2 pg_host pg_port mq_host mq_port server
  read -r pg_host pg_port < <(url_endpoint "$1" 5432)
  read -r mq_host mq_port < <(url_endpoint "$3" 5672)
  problems=()
  local mq_started=0
  if ! tcp_open "$mq_host" "$mq_port"; then
    server="$(rabbitmq_server || true)"
    if ! is_local "$mq_host"; then
      problems+=("RabbitMQ does not answer on $mq_host:$mq_port (AMQP_URL)")
    elif [[ -z $server ]]; then
      problems+=("RabbitMQ is not installed: apt-get install rabbitmq-server (or point AMQP_URL at a running broker)")
    elif ! can_be_root; then
      problems+=("RabbitMQ is installed but not running; as root: rabbitmq-server -detached")
    else
      echo "starting RabbitMQ"
      "${as_root[@]}" "$server" -detached || true
      mq_started=1
    fi
  fi
  if ! pg_up "$pg_host" "$pg_port"; then
    if ! is_local "$pg_host"; then
      problems+=("PostgreSQL does not answer on $pg_host:$pg_port ($pg_var)")
    else
      local started=0
      start_local_postgres "$pg_port" || started=$?
      if ((started == 1)); then
        problems+=("PostgreSQL is not installed: apt-get install postgresql (or point $pg_var at a running server)")
      elif ((started == 2)); then
        problems+=("no local PostgreSQL cluster listens on port $pg_port (pg_lsclusters); fix $pg_var or create one")
      elif can_be_root && ! wait_for 60 pg_up "$pg_host" "$pg_port"; then
        problems+=("PostgreSQL was started but does not answer on $pg_host:$pg_port")
      fi
    fi
  fi
  ((${#problems[@]})) || check_pg_login "$1" "$pg_var"
  if ((mq_started)) && ! wait_for 90 tcp_open "$mq_host" "$mq_port"; then
    problems+=("RabbitMQ was started but does not answer on $mq_host:$mq_port")
  fi
  ((${#problems[@]} == 0)) || die "PostgreSQL or RabbitMQ is not available:" "${problems[@]}"
  echo "PostgreSQL on $pg_host:$pg_port and RabbitMQ on $mq_host:$mq_port answer"
}

# sqlx-cli 0.8 (`cargo sqlx`), which checks and regenerates .sqlx/, the query macros' offline data.
require_sqlx_cli() {
  cargo sqlx --version >/dev/null 2>&1 && return
  step "installing sqlx-cli (cargo install)"
  cargo install sqlx-cli --version '^0.8' --no-default-features --features postgres,rustls --locked
}

# sqlx_prepare SERVER_URL [--check]: `cargo sqlx prepare` against a scratch database of the server
# (postgres://user@host:port, no database name) migrated from migrations/, dropped afterwards.
# Without --check it rewrites .sqlx/; with it, it fails when .sqlx/ does not match the queries.
sqlx_prepare() {
  local server=$1 query="" status=0
  shift
  [[ $server == *\?* ]] && query="?${server#*\?}"
  server=${server%%\?*}
  local db="ipscopy_sqlx_$$"
  local url="${server%/}/$db$query"
  # Chained, since errexit does not hold inside a command whose status is tested.
  (
    cd "$ipscopy_root" && export DATABASE_URL=$url \
      && cargo sqlx database create && cargo sqlx migrate run \
      && cargo sqlx prepare "$@" --workspace -- --all-targets
  ) || status=$?
  DATABASE_URL=$url cargo sqlx database drop -y >/dev/null 2>&1 || true
  return "$status"
}

# setup MODE (run or test): the toolchain, the Debian packages and the services.
setup() {
  local mode=$1
  require_rust
  install_packages "$mode"
  if [[ $mode == test ]]; then
    ensure_services "${TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}" TEST_POSTGRES_URL \
      "${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
  else
    ensure_services "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ipscopy}" DATABASE_URL \
      "${AMQP_URL:-amqp://guest:guest@127.0.0.1:5672/%2f}"
  fi
}

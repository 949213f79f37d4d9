#!/usr/bin/env bash
# Destination delivery benchmark, one command:   bench/delivery.sh
#
# Measures how fast the delivery service drains a destination's outbox into a local sink (nginx
# answering 200), against a baseline measured in the same run on the same machine: wrk posting the
# same kind of bodies to the same sink over the same number of keep-alive connections.
#   1. unbatched, concurrency 8: deliveries/s        vs wrk -c8 requests/s (one event per request)
#   2. batch size 100, concurrency 8: events/s       vs wrk -c8 requests/s x 100 (arrays of 100)
# For each, BENCH_EVENTS events are first ingested while the destination is held back
# (rate_limit: 1/m), then a reload lifts the limit and the drain is timed from the first delivery
# to the last, by polling /metrics every 100 ms. Prints a markdown table (also written to
# build/bench/delivery-results.md). See docs/performance.md.
#
# Environment: BENCH_EVENTS (per scenario, default 100000), BENCH_USERS (distinct profiles, 1000),
# BENCH_DURATION (s per wrk run, 10), BENCH_SKIP_DEPS=1, BENCH_KEEP=1 (keep the temp dir),
# BENCH_TRIBUTARY=/path/to/binary (no build).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export BENCH_DIR="$ROOT/bench"

EVENTS="${BENCH_EVENTS:-100000}"
USERS="${BENCH_USERS:-1000}"
DURATION="${BENCH_DURATION:-10}"
CONCURRENCY=8
BATCH=100
BUILD="$ROOT/build/bench"
log() { printf '[bench] %s\n' "$*" >&2; }

# --- dependencies and build ------------------------------------------------------------------------
[ "${BENCH_SKIP_DEPS:-0}" = 1 ] || scripts/install-deps.sh --bench
if [ -n "${BENCH_TRIBUTARY:-}" ]; then
  TRIBUTARY="$BENCH_TRIBUTARY"
  mkdir -p "$BUILD"
else
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRIBUTARY_TESTS=OFF >/dev/null
  fi
  log "building $BUILD/src/tributary (incremental)"
  ninja -C "$BUILD" tributary >"$BUILD/bench-build.log" 2>&1 || { tail -40 "$BUILD/bench-build.log" >&2; exit 1; }
  TRIBUTARY="$BUILD/src/tributary"
fi
[ -x "$TRIBUTARY" ] || { echo "no tributary binary at $TRIBUTARY" >&2; exit 1; }

WORK="$(mktemp -d /tmp/tributary-delivery-bench.XXXXXX)"
SERVER_PID=""; NGINX_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
TAG="d$(date +%s)"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average before the runs: $LOAD_START (other work on the machine skews every number)"

free_port() {
  local p lo hex
  lo="$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range)"
  for _ in $(seq 1 100); do
    p=$((10000 + RANDOM % (lo - 10000)))
    hex="$(printf ':%04X ' "$p")"
    grep -q "$hex" /proc/net/tcp /proc/net/tcp6 2>/dev/null || { echo "$p"; return; }
  done
  echo "no free port" >&2; exit 1
}
kv() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<" $2" | head -1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }
TICK="$(getconf CLK_TCK)"

# --- the sink: nginx answering 200 -----------------------------------------------------------------
S_PORT="$(free_port)"
mkdir -p "$WORK/nginx/tmp"
cat >"$WORK/nginx/nginx.conf" <<EOF
daemon off;
master_process on;
worker_processes 1;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/tmp/body; proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi; uwsgi_temp_path $WORK/nginx/tmp/uwsgi; scgi_temp_path $WORK/nginx/tmp/scgi;
  client_max_body_size 4m;
  client_body_buffer_size 1m;
  keepalive_requests 100000000;
  keepalive_timeout 65s;
  server {
    listen 127.0.0.1:$S_PORT;
    location = /hook { return 200 '{"ok":true}'; }
    location / { return 404; }
  }
}
EOF
nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
NGINX_PID=$!
for _ in $(seq 1 50); do curl -sf -X POST -d '{}' "http://127.0.0.1:$S_PORT/hook" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf -X POST -d '{}' "http://127.0.0.1:$S_PORT/hook" >/dev/null || { cat "$WORK/nginx/error.log" >&2; exit 1; }
log "sink: nginx pid $NGINX_PID on 127.0.0.1:$S_PORT"

# --- baseline: wrk, one thread (the delivery service has one), 8 keep-alive connections --------------
run_wrk() {  # events_per_request -> BENCH line
  local out
  out="$(BENCH_EVENTS_PER_REQUEST=$1 wrk -t1 -c"$CONCURRENCY" -d"${DURATION}s" --timeout 10s \
    -s bench/delivery.lua "http://127.0.0.1:$S_PORT" -- "$TAG-base-$1" 2>&1)"
  grep '^BENCH ' <<<"$out" || { echo "$out" >&2; echo "wrk failed" >&2; exit 1; }
}
log "baseline 1/2: wrk -t1 -c$CONCURRENCY, one event per request, ${DURATION}s"
B1="$(run_wrk 1)"; log "$B1"
log "baseline 2/2: wrk -t1 -c$CONCURRENCY, $BATCH events per request, ${DURATION}s"
B2="$(run_wrk "$BATCH")"; log "$B2"

# --- tributary -------------------------------------------------------------------------------------
ADMIN_TOKEN="bench-admin-token"; WRITE_KEY="bench-write-key"
write_config() {  # extra destination keys (YAML flow), e.g. "rate_limit: 1/m"
  cat >"$WORK/tributary.yaml.tmp" <<EOF
server: {listen: "127.0.0.1:0", admin_listen: "127.0.0.1:0"}
storage: {path: "$WORK/data", sync: always}
admin: {tokens: ["$ADMIN_TOKEN"]}
sources: {bench: {write_keys: ["$WRITE_KEY"]}}
destinations:
  sink: {url: "http://127.0.0.1:$S_PORT/hook", concurrency: $CONCURRENCY${1:+, $1}}
EOF
  mv "$WORK/tributary.yaml.tmp" "$WORK/tributary.yaml"
}
write_config "rate_limit: 1/m"
"$TRIBUTARY" serve --config "$WORK/tributary.yaml" --ready-file "$WORK/ready.json" --log-level info \
  2>"$WORK/tributary.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/ready.json" ] && break; sleep 0.1; done
[ -s "$WORK/ready.json" ] || { cat "$WORK/tributary.log" >&2; echo "tributary did not start" >&2; exit 1; }
T_PORT="$(sed -n 's/.*"listen":\([0-9]*\).*/\1/p' "$WORK/ready.json")"
T_ADMIN="$(sed -n 's/.*"admin":\([0-9]*\).*/\1/p' "$WORK/ready.json")"
log "tributary pid $SERVER_PID on 127.0.0.1:$T_PORT (admin $T_ADMIN)"

metric() {  # name [labels] -> integer
  local m="$1"
  [ -z "${2:-}" ] || m="$1{$2}"
  curl -sf "http://127.0.0.1:$T_ADMIN/metrics" | awk -v m="$m" '$1==m {printf "%d\n", $2}'
}
delivered() { metric tributary_destination_deliveries_total 'destination="sink",outcome="delivered"'; }
reload() {
  curl -sf -X POST -H "Authorization: Bearer $ADMIN_TOKEN" "http://127.0.0.1:$T_ADMIN/admin/v1/reload" >/dev/null
}

# Ingests EVENTS track events (batches of 500, USERS distinct users) and waits until they are all
# in the outbox.
fill() {  # offset
  local depth0 i
  depth0="$(metric tributary_destination_outbox_depth 'destination="sink"')"
  for ((i = 0; i < EVENTS; i += 500)); do
    awk -v s=$(($1 + i)) -v n=500 -v u="$USERS" -v tag="$TAG" 'BEGIN {
      printf "{\"batch\":[";
      for (k = 0; k < n; k++) {
        j = s + k; if (k) printf ",";
        printf "{\"type\":\"track\",\"userId\":\"user-%d\",\"event\":\"Order Completed\",\"messageId\":\"%s-%d\",", j % u, tag, j;
        printf "\"properties\":{\"orderId\":\"o-%d\",\"revenue\":42.5,\"currency\":\"USD\",\"products\":[{\"sku\":\"sku-1\",\"price\":19.99,\"quantity\":2}]},", j;
        printf "\"context\":{\"library\":{\"name\":\"analytics-node\",\"version\":\"6.2.0\"},\"page\":{\"path\":\"/checkout\"}}}";
      }
      printf "]}" }' >"$WORK/batch.json"
    curl -sf -u "$WRITE_KEY:" -H 'Content-Type: application/json' --data-binary @"$WORK/batch.json" \
      "http://127.0.0.1:$T_PORT/v1/batch" >/dev/null || { echo "ingest failed" >&2; exit 1; }
  done
  for _ in $(seq 1 1200); do
    [ "$(metric tributary_destination_outbox_depth 'destination="sink"')" -ge $((depth0 + EVENTS - 1)) ] && return
    sleep 0.1
  done
  echo "the outbox never filled" >&2; exit 1
}

# Lifts the hold with `$1` as the destination's keys and times the drain until all but `$2`
# (default 1) of the EVENTS rows are delivered: prints "events seconds cpu_us_per_event". The one
# row not waited for went out while the hold was set (rate_limit 1/m lets one through); batched,
# the last partial batch is not waited for either: it waits max_wait for more rows, by design.
drain() {
  local start now d first="" t_first t_last c0 c1 target
  start="$(delivered)"; target=$((start + EVENTS - ${2:-1}))
  write_config "$1"
  c0="$(cpu_ticks "$SERVER_PID")"
  reload
  for _ in $(seq 1 6000); do
    d="$(delivered)"; now="$(date +%s.%N)"
    [ "${BENCH_TRACE:-0}" = 1 ] && echo "[trace] $now $d" >&2
    if [ -z "$first" ] && [ "$d" -gt "$start" ]; then first="$d"; t_first="$now"; fi
    if [ "$d" -ge "$target" ]; then t_last="$now"; break; fi
    sleep 0.1
  done
  c1="$(cpu_ticks "$SERVER_PID")"
  [ -n "${t_last:-}" ] || { echo "the outbox did not drain" >&2; exit 1; }
  awk -v a="$first" -v b="$d" -v t0="$t_first" -v t1="$t_last" -v c0="$c0" -v c1="$c1" -v hz="$TICK" -v n="$EVENTS" \
    'BEGIN { printf "%d %.2f %.1f\n", b - a, t1 - t0, (c1 - c0) * 1e6 / hz / n }'
}

log "1/2 tributary unbatched: ingesting $EVENTS events held in the outbox"
fill 0
log "1/2 tributary unbatched: draining"
R1="$(drain "")"; log "drained: $R1 (events, seconds, CPU us/event)"
write_config "rate_limit: 1/m"; reload; sleep 1.5
log "2/2 tributary batched x$BATCH: ingesting $EVENTS events held in the outbox"
fill "$EVENTS"
log "2/2 tributary batched: draining"
R2="$(drain "batch: {size: $BATCH, max_wait: 1s}" $((BATCH + 1)))"; log "drained: $R2 (events, seconds, CPU us/event)"
FAILED="$(metric tributary_destination_deliveries_total 'destination="sink",outcome="failed"')"
for _ in $(seq 1 50); do  # the last partial batch, sent max_wait after its first row was ready
  [ "$(metric tributary_destination_outbox_depth 'destination="sink"')" -eq 0 ] && break
  sleep 0.1
done
DEPTH="$(metric tributary_destination_outbox_depth 'destination="sink"')"

# --- results ---------------------------------------------------------------------------------------
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }'; }
t1="$(rate $(cut -d' ' -f1,2 <<<"$R1"))"; t2="$(rate $(cut -d' ' -f1,2 <<<"$R2"))"
b1="$(kv ok_per_s "$B1" | cut -d. -f1)"; b2="$(awk -v r="$(kv ok_per_s "$B2")" -v k="$BATCH" 'BEGIN { printf "%.0f", r * k }')"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
{
  echo "| scenario | tributary | baseline (wrk -t1 -c$CONCURRENCY to the same sink) | ratio | tributary CPU per event |"
  echo "|---|---|---|---|---|"
  echo "| unbatched, concurrency $CONCURRENCY, keep-alive (deliveries/s) | $t1 | $b1 requests/s | $(ratio "$t1" "$b1") | $(cut -d' ' -f3 <<<"$R1") µs |"
  echo "| batch $BATCH, concurrency $CONCURRENCY (events/s) | $t2 | $b2 events/s | $(ratio "$t2" "$b2") | $(cut -d' ' -f3 <<<"$R2") µs |"
  echo
  echo "- $EVENTS events per scenario, $USERS distinct users (per-profile order kept), sink: nginx \`return 200\`."
  echo "- timed from the first delivery after the reload to the last full batch (the last partial batch waits max_wait by design); drained: $R1 / $R2 (events, s, CPU µs/event)."
  echo "- after the runs: dead letters $FAILED, outbox depth $DEPTH; load average before $LOAD_START, after $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores."
} | tee "$BUILD/delivery-results.md"

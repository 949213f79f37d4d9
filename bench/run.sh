#!/usr/bin/env bash
# Tributary's ingest benchmark, one command:   bench/run.sh
#
# Installs the bench dependencies (wrk, nginx-light), builds a release binary in build/bench, then
# measures, against an nginx baseline started in the same run on the same CPUs:
#   1. POST /v1/track, storage.sync: always      requests/s          target >= 0.5 x nginx
#   2. POST /v1/batch of 100 events              durable events/s    target >= 350,000
#   3. p99 ack latency, open loop at half of the rate of 1            target <= 5 ms
#   4. server memory after the runs (VmRSS, VmHWM)                    target <= 150 MB
# and checks that the events the server stored match the 200s the load generator counted.
# Prints a markdown table; a copy goes to build/bench/last-results.md. See docs/performance.md.
#
# Environment: BENCH_DURATION (s per run, default 10), BENCH_PIN (1 = pin servers and load generator
# to separate halves of the cores; default 1 from 4 cores), BENCH_TRACK_CONNS (64), BENCH_BATCH_CONNS (16),
# BENCH_LATENCY_CONNS (64), BENCH_NICE (e.g. -10: priority over other work on a shared machine),
# BENCH_SKIP_DEPS=1, BENCH_KEEP=1 (keep the temp dir), BENCH_TRIBUTARY=/path/to/binary (no build),
# BENCH_CONFIG_EXTRA (YAML appended to the generated tributary.yaml, e.g. "processor: {cache_profiles: 1000}").
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export BENCH_DIR="$ROOT/bench"

DURATION="${BENCH_DURATION:-10}"
TRACK_CONNS="${BENCH_TRACK_CONNS:-64}"
BATCH_CONNS="${BENCH_BATCH_CONNS:-16}"
LAT_CONNS="${BENCH_LATENCY_CONNS:-64}"
BUILD="$ROOT/build/bench"
log() { printf '[bench] %s\n' "$*" >&2; }

# --- dependencies and build ------------------------------------------------------------------------
[ "${BENCH_SKIP_DEPS:-0}" = 1 ] || scripts/install-deps.sh --bench
if [ -n "${BENCH_TRIBUTARY:-}" ]; then
  TRIBUTARY="$BENCH_TRIBUTARY"   # a binary built elsewhere, e.g. for a before/after comparison
  mkdir -p "$BUILD"
else
  if [ ! -f "$BUILD/build.ninja" ]; then
    cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DTRIBUTARY_TESTS=OFF >/dev/null
  fi
  log "building $BUILD/src/tributary (incremental)"
  ninja -C "$BUILD" tributary >"$BUILD/bench-build.log" 2>&1 || { tail -40 "$BUILD/bench-build.log" >&2; exit 1; }
  TRIBUTARY="$BUILD/src/tributary"
fi
[ -x "$TRIBUTARY" ] || { echo "no tributary binary under $BUILD" >&2; exit 1; }
OPENLOOP="$BUILD/openloop"
if [ ! -x "$OPENLOOP" ] || [ bench/openloop.cpp -nt "$OPENLOOP" ]; then
  log "building $OPENLOOP"
  c++ -O2 -std=c++20 -o "$OPENLOOP" bench/openloop.cpp
fi

# --- CPU layout ------------------------------------------------------------------------------------
NCPU="$(nproc)"
# Pinning splits the cores half and half between the servers and the load generator. It is the
# default from 4 cores; on 2 it would leave tributary one core for its io, log-writer, processor and
# RocksDB threads while wrk idles on the other, so there everything shares both cores.
PIN="${BENCH_PIN:-$([ "$NCPU" -ge 4 ] && echo 1 || echo 0)}"
if [ "$PIN" = 1 ] && [ "$NCPU" -ge 2 ]; then
  LOAD_N=$((NCPU / 2)); SERVER_N=$((NCPU - LOAD_N))
  LOAD_CPUS="0-$((LOAD_N - 1))"; SERVER_CPUS="$LOAD_N-$((NCPU - 1))"
  ON_SERVER=(taskset -c "$SERVER_CPUS"); ON_LOAD=(taskset -c "$LOAD_CPUS")
else
  LOAD_N="$NCPU"; SERVER_N="$NCPU"; LOAD_CPUS="all"; SERVER_CPUS="all"
  ON_SERVER=(); ON_LOAD=()
fi
# BENCH_NICE=-10 (as root) runs everything the bench starts at a higher priority than other work on
# a shared machine, so that background builds take less of the measured CPU.
NICE="${BENCH_NICE:-0}"
if [ "$NICE" != 0 ]; then ON_SERVER=(nice -n "$NICE" "${ON_SERVER[@]}"); ON_LOAD=(nice -n "$NICE" "${ON_LOAD[@]}"); fi
IO_THREADS="$SERVER_N"   # tributary io_threads == nginx worker_processes
WRK_THREADS="$LOAD_N"
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
log "load average before the runs: $LOAD_START (other work on the machine skews every number)"
log "cores: $NCPU; server + nginx on CPUs $SERVER_CPUS ($IO_THREADS io threads / workers); load on CPUs $LOAD_CPUS"

# --- temp dir, cleanup -----------------------------------------------------------------------------
WORK="$(mktemp -d /tmp/tributary-bench.XXXXXX)"
SERVER_PID=""; NGINX_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill -TERM "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill -QUIT "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null || true
  if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
TAG="b$(date +%s)"

kv() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" <<<" $2" | head -1; }
# A port below the ephemeral range that no socket (listening or connected) uses, from /proc/net/tcp.
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
# CPU time (user + system, in clock ticks) of processes, all threads included.
cpu_ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
TICK="$(getconf CLK_TCK)"
# Microseconds of server CPU per successful request: ticks_before ticks_after requests.
cpu_us() { awk -v a="$1" -v b="$2" -v n="$3" -v hz="$TICK" 'BEGIN {printf "%.1f", (n > 0 ? (b - a) * 1e6 / hz / n : 0)}'; }
mem_kb() { awk -v k="$2:" '$1==k {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# --- fsync latency of this disk (what one group commit costs at least) ------------------------------
mkdir -p "$WORK/probe"
FSYNC_LINE="$("$OPENLOOP" fsync "$WORK/probe" 300 4096)"
log "$FSYNC_LINE"

# --- tributary -------------------------------------------------------------------------------------
ADMIN_TOKEN="bench-admin-token"; WRITE_KEY="bench-write-key"
AUTH="Basic $(printf '%s:' "$WRITE_KEY" | base64 -w0)"
cat >"$WORK/tributary.yaml" <<EOF
server:
  listen: "127.0.0.1:0"
  admin_listen: "127.0.0.1:0"
  io_threads: $IO_THREADS
storage:
  path: "$WORK/data"
  sync: always
admin:
  tokens: ["$ADMIN_TOKEN"]
sources:
  bench:
    write_keys: ["$WRITE_KEY"]
EOF
[ -z "${BENCH_CONFIG_EXTRA:-}" ] || printf '%s\n' "$BENCH_CONFIG_EXTRA" >>"$WORK/tributary.yaml"
"${ON_SERVER[@]}" "$TRIBUTARY" serve --config "$WORK/tributary.yaml" --ready-file "$WORK/ready.json" \
  --log-level info 2>"$WORK/tributary.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/ready.json" ] && break; sleep 0.1; done
[ -s "$WORK/ready.json" ] || { cat "$WORK/tributary.log" >&2; echo "tributary did not start" >&2; exit 1; }
T_PORT="$(sed -n 's/.*"listen":\([0-9]*\).*/\1/p' "$WORK/ready.json")"
T_ADMIN="$(sed -n 's/.*"admin":\([0-9]*\).*/\1/p' "$WORK/ready.json")"
log "tributary pid $SERVER_PID on 127.0.0.1:$T_PORT (admin $T_ADMIN), data in $WORK/data"

# Fails loudly when the server is gone (crashed, or stopped by a signal from outside the bench).
alive() {
  kill -0 "$SERVER_PID" 2>/dev/null && return 0
  tail -5 "$WORK/tributary.log" >&2
  echo "tributary (pid $SERVER_PID) is no longer running during '$1'; no result. If its log says" \
    "'received signal 15', another process stopped it (e.g. a broad pkill): rerun." >&2
  exit 1
}
metric() { curl -sf "http://127.0.0.1:$T_ADMIN/metrics" | awk -v m="$1" '$1==m {printf "%d\n", $2}'; }
# Waits until the log's last sequence stops moving (requests in flight when wrk stopped are done).
settle() {
  local a b
  a="$(metric tributary_log_last_sequence)"
  for _ in $(seq 1 50); do sleep 0.2; b="$(metric tributary_log_last_sequence)"; [ "$a" = "$b" ] && break; a="$b"; done
}
# Waits (at most 90 s) until the profile processor has caught up with the log, so that a scenario
# does not start while the previous one's backlog still takes CPU. Prints the seconds waited.
drain() {
  local t0=$SECONDS lag
  for _ in $(seq 1 450); do
    lag="$(metric tributary_processor_lag_events)"
    [ -z "$lag" ] || [ "$lag" -le 0 ] && break
    sleep 0.2
  done
  echo $((SECONDS - t0))
}
# Checks stored events against 200s: acked*k <= stored <= (acked + in flight)*k, and no duplicates.
CHECKS=()
verify() {  # name ok_requests events_per_request conns stored_delta dup_delta
  local name=$1 okr=$2 k=$3 conns=$4 stored=$5 dups=$6 acked status=ok
  acked=$((okr * k))
  if [ "$stored" -lt "$acked" ] || [ "$stored" -gt $(((okr + conns) * k)) ] || [ "$dups" -ne 0 ]; then status=MISMATCH; fi
  CHECKS+=("| $name | $acked | $stored | $dups | $status |")
  log "check $name: acknowledged $acked events, stored $stored, duplicates $dups -> $status"
}

run_wrk() {  # port script conns -> BENCH line
  local out
  out="$("${ON_LOAD[@]}" wrk -t"$WRK_THREADS" -c"$3" -d"${DURATION}s" --timeout 10s --latency \
    -H "Authorization: $AUTH" -s "bench/$2" "http://127.0.0.1:$1" -- "$TAG-$2-$1" 2>&1)"
  grep '^BENCH ' <<<"$out" || { echo "$out" >&2; echo "wrk failed" >&2; exit 1; }
}

# Scenario 1: single track.
before="$(metric tributary_log_appended_events_total)"; dbefore="$(metric tributary_log_duplicate_events_total)"
log "1/4 tributary: POST /v1/track, $TRACK_CONNS connections, ${DURATION}s"
c0="$(cpu_ticks "$SERVER_PID")"
T1="$(run_wrk "$T_PORT" track.lua "$TRACK_CONNS")"; log "$T1"
T1_CPU="$(cpu_us "$c0" "$(cpu_ticks "$SERVER_PID")" "$(kv ok "$T1")")"
alive track
settle
verify "track" "$(kv ok "$T1")" 1 "$TRACK_CONNS" $(($(metric tributary_log_appended_events_total) - before)) \
  $(($(metric tributary_log_duplicate_events_total) - dbefore))
G1="$(metric tributary_log_group_commits_total)"

DRAIN1="$(drain)"; log "processor caught up after ${DRAIN1}s"
# Scenario 2: batches of 100.
before="$(metric tributary_log_appended_events_total)"; dbefore="$(metric tributary_log_duplicate_events_total)"
log "2/4 tributary: POST /v1/batch x100, $BATCH_CONNS connections, ${DURATION}s"
c0="$(cpu_ticks "$SERVER_PID")"
T2="$(BENCH_BATCH=100 run_wrk "$T_PORT" batch.lua "$BATCH_CONNS")"; log "$T2"
T2_CPU="$(cpu_us "$c0" "$(cpu_ticks "$SERVER_PID")" "$(kv ok "$T2")")"
alive batch
settle
verify "batch" "$(kv ok "$T2")" 100 "$BATCH_CONNS" $(($(metric tributary_log_appended_events_total) - before)) \
  $(($(metric tributary_log_duplicate_events_total) - dbefore))

DRAIN2="$(drain)"; log "processor caught up after ${DRAIN2}s"
# Scenario 3: open-loop latency at half the single-track rate.
RATE="$(awk -v r="$(kv ok_per_s "$T1")" 'BEGIN {printf "%d", (r / 2 < 10 ? 10 : r / 2)}')"  # >= 10 even if run 1 failed
before="$(metric tributary_log_appended_events_total)"; dbefore="$(metric tributary_log_duplicate_events_total)"
log "3/4 tributary: open loop at $RATE req/s, $LAT_CONNS connections, ${DURATION}s (+1s warm-up)"
T3="$("${ON_LOAD[@]}" "$OPENLOOP" load --port "$T_PORT" --rate "$RATE" --duration "$DURATION" --warmup 1 \
  --connections "$LAT_CONNS" --auth "$AUTH" --tag "$TAG-ol")"; log "$T3"
alive latency
settle
verify "latency" "$(kv ok "$T3")" 1 "$LAT_CONNS" $(($(metric tributary_log_appended_events_total) - before)) \
  $(($(metric tributary_log_duplicate_events_total) - dbefore))

# Scenario 4: memory after the runs; the admin API's view of the log as a last cross-check.
T_RSS="$(mem_kb "$SERVER_PID" VmRSS)"; T_HWM="$(mem_kb "$SERVER_PID" VmHWM)"
LAST_SEQ="$(curl -sf -H "Authorization: Bearer $ADMIN_TOKEN" "http://127.0.0.1:$T_ADMIN/admin/v1/events?after=0&limit=1" |
  sed -n 's/.*"last_seq":\([0-9]*\).*/\1/p')"
APPENDED="$(metric tributary_log_appended_events_total)"; NGROUPS="$(metric tributary_log_group_commits_total)"
PROC_EVENTS="$(metric tributary_processor_events_total)"; PROC_LAG="$(metric tributary_processor_lag_events)"
log "admin API last_seq $LAST_SEQ, appended $APPENDED, group commits $NGROUPS (track run: $G1)"
[ "$LAST_SEQ" = "$APPENDED" ] || CHECKS+=("| admin last_seq vs metrics | $APPENDED | $LAST_SEQ | - | MISMATCH |")
curl -sf "http://127.0.0.1:$T_ADMIN/metrics" >"$WORK/metrics.txt" || true
kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""

# --- nginx baseline: same CPUs, same scripts, same load ---------------------------------------------
N_PORT="$(free_port)"; N_PORT2="$(free_port)"
mkdir -p "$WORK/nginx/tmp"
ECHO_MOD=/usr/lib/nginx/modules/ngx_http_echo_module.so
if [ -f "$ECHO_MOD" ]; then
  # Reads the whole request body into memory before answering, as tributary must.
  LOAD_MODULE="load_module $ECHO_MOD;"
  BODY='echo_read_request_body; echo -n '"'"'{"success":true}'"'"';'
  NGINX_MODE="echo_read_request_body (body read into memory)"
else
  LOAD_MODULE=""
  BODY='return 200 '"'"'{"success":true}'"'"';'
  NGINX_MODE="return 200 (body read and discarded)"
fi
cat >"$WORK/nginx/nginx.conf" <<EOF
$LOAD_MODULE
daemon off;
master_process on;
worker_processes $IO_THREADS;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  default_type application/json;
  client_body_temp_path $WORK/nginx/tmp/body; proxy_temp_path $WORK/nginx/tmp/proxy;
  fastcgi_temp_path $WORK/nginx/tmp/fastcgi; uwsgi_temp_path $WORK/nginx/tmp/uwsgi; scgi_temp_path $WORK/nginx/tmp/scgi;
  client_max_body_size 1m;
  client_body_buffer_size 1m;     # the largest bench body (~36 KB) stays in memory
  keepalive_requests 100000000;   # tributary never closes a busy keep-alive connection
  keepalive_timeout 65s;
  server {
    listen 127.0.0.1:$N_PORT;
    location = /v1/track { $BODY }
    location = /v1/batch { $BODY }
    location / { return 404; }
  }
  server {                        # for comparison only: nginx's cheapest answer, body discarded
    listen 127.0.0.1:$N_PORT2;
    location = /v1/track { return 200 '{"success":true}'; }
    location / { return 404; }
  }
}
EOF
"${ON_SERVER[@]}" nginx -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/error.log" &
NGINX_PID=$!
for _ in $(seq 1 50); do curl -sf -X POST -d '{}' "http://127.0.0.1:$N_PORT/v1/track" >/dev/null 2>&1 && break; sleep 0.1; done
curl -sf -X POST -d '{}' "http://127.0.0.1:$N_PORT/v1/track" >/dev/null || { cat "$WORK/nginx/error.log" >&2; exit 1; }
log "nginx pid $NGINX_PID on 127.0.0.1:$N_PORT: $NGINX_MODE"

log "1/4 nginx: POST /v1/track"
NGINX_PIDS=("$NGINX_PID" $(pgrep -P "$NGINX_PID" || true))
c0="$(cpu_ticks "${NGINX_PIDS[@]}")"
N1="$(run_wrk "$N_PORT" track.lua "$TRACK_CONNS")"; log "$N1"
N1_CPU="$(cpu_us "$c0" "$(cpu_ticks "${NGINX_PIDS[@]}")" "$(kv ok "$N1")")"
log "1/4 nginx, for comparison: POST /v1/track answered by 'return 200' (body discarded unread)"
N1R="$(run_wrk "$N_PORT2" track.lua "$TRACK_CONNS")"; log "$N1R"
log "2/4 nginx: POST /v1/batch x100"
c0="$(cpu_ticks "${NGINX_PIDS[@]}")"
N2="$(BENCH_BATCH=100 run_wrk "$N_PORT" batch.lua "$BATCH_CONNS")"; log "$N2"
N2_CPU="$(cpu_us "$c0" "$(cpu_ticks "${NGINX_PIDS[@]}")" "$(kv ok "$N2")")"
log "3/4 nginx: open loop at $RATE req/s"
N3="$("${ON_LOAD[@]}" "$OPENLOOP" load --port "$N_PORT" --rate "$RATE" --duration "$DURATION" --warmup 1 \
  --connections "$LAT_CONNS" --tag "$TAG-nol")"; log "$N3"
N_RSS=0; N_HWM=0
for p in $NGINX_PID $(pgrep -P "$NGINX_PID" || true); do
  N_RSS=$((N_RSS + $(mem_kb "$p" VmRSS))); N_HWM=$((N_HWM + $(mem_kb "$p" VmHWM)))
done
kill -QUIT "$NGINX_PID"; wait "$NGINX_PID" || true; NGINX_PID=""

# --- report ----------------------------------------------------------------------------------------
fmt() { awk -v x="$1" 'BEGIN {s = sprintf("%.0f", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); print s}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf (b > 0 ? "%.2f" : "-"), a / b}'; }
passfail() { awk -v c="$1" 'BEGIN {print (c ? "pass" : "**FAIL**")}'; }
t1="$(kv ok_per_s "$T1")"; n1="$(kv ok_per_s "$N1")"
t2="$(awk -v r="$(kv ok_per_s "$T2")" 'BEGIN {print r * 100}')"; n2="$(awk -v r="$(kv ok_per_s "$N2")" 'BEGIN {print r * 100}')"
t3="$(awk -v u="$(kv p99_us "$T3")" 'BEGIN {printf "%.2f", u / 1000}')"; n3="$(awk -v u="$(kv p99_us "$N3")" 'BEGIN {printf "%.2f", u / 1000}')"
t4="$(awk -v k="$T_HWM" 'BEGIN {printf "%.1f", k / 1024}')"; n4="$(awk -v k="$N_HWM" 'BEGIN {printf "%.1f", k / 1024}')"
t4r="$(awk -v k="$T_RSS" 'BEGIN {printf "%.1f", k / 1024}')"; n4r="$(awk -v k="$N_RSS" 'BEGIN {printf "%.1f", k / 1024}')"
r1="$(ratio "$t1" "$n1")"
REPORT="$WORK/report.md"
{
  echo "| scenario | tributary | nginx baseline | ratio | target | result |"
  echo "|---|---|---|---|---|---|"
  echo "| 1. POST /v1/track, sync: always (requests/s) | $(fmt "$t1") | $(fmt "$n1") | $r1 | >= 0.5 x nginx | $(passfail "$(awk -v r="$r1" 'BEGIN {print (r >= 0.5)}')") |"
  echo "| 2. POST /v1/batch x100 (durable events/s) | $(fmt "$t2") | $(fmt "$n2") | $(ratio "$t2" "$n2") | >= 350,000 | $(passfail "$(awk -v x="$t2" 'BEGIN {print (x >= 350000)}')") |"
  echo "| 3. p99 ack latency, open loop at $(fmt "$RATE") req/s (ms) | $t3 | $n3 | $(ratio "$t3" "$n3") | <= 5 ms | $(passfail "$(awk -v x="$t3" 'BEGIN {print (x <= 5)}')") |"
  echo "| 4. peak RSS after the runs, VmHWM (MB) | $t4 (now $t4r) | $n4 (now $n4r) | $(ratio "$t4" "$n4") | <= 150 MB | $(passfail "$(awk -v x="$t4" 'BEGIN {print (x <= 150)}')") |"
  echo
  echo "Durability check (events acknowledged with 200 vs events the server stored, from /metrics):"
  echo
  echo "| run | acknowledged | stored | duplicates | check |"
  echo "|---|---|---|---|---|"
  printf '%s\n' "${CHECKS[@]}"
  echo
  echo "- non-200 responses: tributary track $(kv non200 "$T1") [$(kv statuses "$T1")], batch $(kv non200 "$T2") [$(kv statuses "$T2")], open loop $(kv non200 "$T3") (errors $(kv errors "$T3")); nginx track $(kv non200 "$N1"), batch $(kv non200 "$N2"), open loop $(kv non200 "$N3")"
  echo "- socket errors (connect/read/write/timeout): tributary track $(kv conn_err "$T1")/$(kv read_err "$T1")/$(kv write_err "$T1")/$(kv timeouts "$T1"), batch $(kv conn_err "$T2")/$(kv read_err "$T2")/$(kv write_err "$T2")/$(kv timeouts "$T2")"
  echo "- nginx with 'return 200' (body discarded, not kept) on POST /v1/track: $(fmt "$(kv ok_per_s "$N1R")") requests/s; tributary is $(ratio "$t1" "$(kv ok_per_s "$N1R")") x that"
  echo "- server CPU time (user + system, all threads) per successful request: track $T1_CPU us (nginx $N1_CPU us), batch of 100 $T2_CPU us (nginx $N2_CPU us)"
  echo "- closed-loop latency (wrk) p50/p99: track $(kv p50_us "$T1")/$(kv p99_us "$T1") us (nginx $(kv p50_us "$N1")/$(kv p99_us "$N1")), batch $(kv p50_us "$T2")/$(kv p99_us "$T2") us (nginx $(kv p50_us "$N2")/$(kv p99_us "$N2"))"
  echo "- open loop: tributary p50 $(kv p50_us "$T3") us, p99.9 $(kv p999_us "$T3") us, max $(kv max_us "$T3") us, achieved $(kv achieved_rate "$T3") req/s, max client queue $(kv max_backlog "$T3"); nginx p50 $(kv p50_us "$N3") us"
  echo "- profile processor (same process, consumes the log behind the acks): ${PROC_EVENTS:-n/a} events processed; it needed ${DRAIN1}s after the track run and ${DRAIN2}s after the batch run to catch up (the next run waited); lag ${PROC_LAG:-n/a} events when the runs ended"
  echo "- group commits: $G1 during the track run ($(awk -v e="$(kv ok "$T1")" -v g="$G1" 'BEGIN {printf "%.1f", (g > 0 ? e / g : 0)}') events per fsync); $NGROUPS in all"
  echo "- disk: $FSYNC_LINE"
  echo "- load average (1/5/15 min) before: $LOAD_START, after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- binary: $TRIBUTARY ($("$TRIBUTARY" version 2>/dev/null)); git $(git rev-parse --short HEAD 2>/dev/null)$(git diff --quiet HEAD -- src include 2>/dev/null || echo ' + uncommitted changes in src/include')"
  echo "- layout: $NCPU cores; server/nginx on CPUs $SERVER_CPUS with $IO_THREADS io threads/workers (nice $NICE); wrk (-t$WRK_THREADS) and openloop on CPUs $LOAD_CPUS; ${DURATION}s per run; track -c$TRACK_CONNS, batch -c$BATCH_CONNS, open loop $LAT_CONNS connections; nginx mode: $NGINX_MODE"
} >"$REPORT"
cp "$REPORT" "$BUILD/last-results.md"
echo
cat "$REPORT"

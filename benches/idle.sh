#!/usr/bin/env bash
# Idle-connection memory: the server's RSS growth per held WebSocket connection.
#
#   benches/idle.sh                      # ours: target/release/duplex echo
#   DEFLATE=1 benches/idle.sh            # the client offers permessage-deflate
#   DEFLATE=1 MESSAGE=1 N=1000 benches/idle.sh   # ... and one echo each: zlib state held
#   SERVER_CMD="/path/peer_echo --addr 127.0.0.1:0" LABEL=peer benches/idle.sh
#
# Starts the server pinned to core 0, opens one warm-up connection, reads the
# server's VmRSS (base), runs `duplex bench ws-idle` pinned to core 1 with N
# connections, reads VmRSS again when the load generator prints `HOLDING <n>`,
# and prints one markdown row: (RSS_held - RSS_base) / n.
#
# The server must print either `listening on ws://HOST:PORT` (ours) or
# `LISTENING PORT` (benches/peers) as its first stdout line.
#
# Environment: N (10000), HOLD seconds (5), DEFLATE (0/1: offer permessage-deflate),
# NO_TAKEOVER (0/1: with DEFLATE, offer no context takeover both ways), MESSAGE (0/1:
# one text echo per connection before idling), CONCURRENCY (200: handshakes in flight),
# SERVER_CMD, LABEL, DUPLEX (the duplex
# binary used as the load generator).
#
# Row: | server | deflate | message | n | base KiB | held KiB | bytes/conn | after close KiB |
# RSS is user-space memory only: kernel socket buffers are not in it.
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-10000}
HOLD=${HOLD:-5}
DEFLATE=${DEFLATE:-0}
NO_TAKEOVER=${NO_TAKEOVER:-0}
MESSAGE=${MESSAGE:-0}
CONCURRENCY=${CONCURRENCY:-200}
DUPLEX=${DUPLEX:-target/release/duplex}
SERVER_CMD=${SERVER_CMD:-"$DUPLEX echo --addr 127.0.0.1:0"}
LABEL=${LABEL:-duplex}

# Each process holds N sockets plus a few runtime descriptors; the hard limit here is
# 20000, so raise the soft limit to what is needed (the children inherit it).
need=$((N + 100))
hard=$(ulimit -Hn)
if [[ $hard != unlimited && $hard -lt $need ]]; then
    echo "idle.sh: N=$N needs $need open files, the hard limit is $hard" >&2
    exit 1
fi
ulimit -n "$need"

work=$(mktemp -d)
server_pid=""
load_pid=""
cleanup() {
    # Only the processes this script started.
    [[ -n $load_pid ]] && kill "$load_pid" 2>/dev/null || true
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
    [[ -n $server_pid ]] && wait "$server_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# shellcheck disable=SC2086 # SERVER_CMD is a command line, split on purpose.
taskset -c 0 $SERVER_CMD >"$work/server.out" 2>"$work/server.err" &
server_pid=$!

url=""
for _ in $(seq 100); do
    line=$(head -n 1 "$work/server.out" 2>/dev/null || true)
    case $line in
        "listening on ws://"*) url=${line#listening on }; break ;;
        "LISTENING "*) url="ws://127.0.0.1:${line#LISTENING }"; break ;;
    esac
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [[ -z $url ]]; then
    echo "idle.sh: the server did not announce its address" >&2
    cat "$work/server.err" >&2
    exit 1
fi

offer=()
[[ $DEFLATE == 1 ]] && offer+=(--deflate)
[[ $DEFLATE == 1 && $NO_TAKEOVER == 1 ]] && offer+=(--no-context-takeover)
[[ $MESSAGE == 1 ]] && offer+=(--message)

# Warm-up: one connection, so lazily built runtime and allocator state is in the base.
taskset -c 1 "$DUPLEX" bench ws-idle --url "$url" --connections 1 --hold 0 "${offer[@]}" \
    >/dev/null 2>"$work/warmup.err" || { cat "$work/warmup.err" >&2; exit 1; }
sleep 0.5
base=$(rss_kib "$server_pid")

mkfifo "$work/load.out"
taskset -c 1 "$DUPLEX" bench ws-idle --url "$url" --connections "$N" --hold "$HOLD" \
    --concurrency "$CONCURRENCY" "${offer[@]}" --json >"$work/load.out" 2>"$work/load.err" &
load_pid=$!

held=""
json=""
held_n=0
while IFS= read -r line; do
    case $line in
        HOLDING*)
            held_n=${line#HOLDING }
            # Let the server finish the last handshakes' bookkeeping before sampling.
            sleep 1
            held=$(rss_kib "$server_pid")
            ;;
        "{"*) json=$line ;;
    esac
done <"$work/load.out"
status=0
wait "$load_pid" || status=$?
load_pid=""
if [[ -z $held || $held_n -eq 0 ]]; then
    echo "idle.sh: the load generator never held its connections (exit $status)" >&2
    cat "$work/load.err" >&2
    exit 1
fi
after=$(rss_kib "$server_pid")

per_conn=$(((held - base) * 1024 / held_n))
deflate_word=no
[[ $DEFLATE == 1 ]] && deflate_word=offered
[[ $DEFLATE == 1 && $NO_TAKEOVER == 1 ]] && deflate_word="offered, no takeover"
message_word=no
[[ $MESSAGE == 1 ]] && message_word=yes
echo "| $LABEL | $deflate_word | $message_word | $held_n | $((base)) | $((held)) | $per_conn | $((after)) |"
echo "$json" >&2
[[ $status -eq 0 ]] || { tail -n 5 "$work/load.err" >&2; exit "$status"; }

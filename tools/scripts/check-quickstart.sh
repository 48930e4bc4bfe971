#!/usr/bin/env bash
# Proves the README's quick start on this checkout: `npm install && npm start` brings the API
# up on the embedded default, prints its URL and a default identity pool, and a guest can sync
# with nothing but curl; the console comes up beside it (built on first start) and reaches the
# API through its proxy. Then Ctrl-C stops everything cleanly. Run from the repository root.
set -euo pipefail
log=$(mktemp)
home=$(mktemp -d)
# Ctrl-C signals the whole foreground process group; setsid + kill -INT -PGID does the same.
trap 'kill -INT -- "-$pid" 2>/dev/null || true; rm -rf "$home" "$log"' EXIT

npm install --no-audit --no-fund >/dev/null
# A throwaway TANDEM_HOME keeps a developer's own .tandem/ untouched; everything else is as written.
TANDEM_HOME="$home" setsid npm start >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  grep -q 'Identity pool' "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "npm start exited early" >&2; exit 1; }
  sleep 0.5
done
grep -q 'Identity pool' "$log" || { cat "$log"; echo "npm start printed no identity pool" >&2; exit 1; }
url=$(grep -oE 'Tandem API +http://[^ ]+' "$log" | awk '{print $3}')
pool=$(grep -oE 'Identity pool +[^ ]+' "$log" | awk '{print $3}')
echo "quickstart: API at $url, pool $pool"

curl -fsS "$url/healthz" >/dev/null
token=$(curl -fsS -D - -o /dev/null -X POST "$url/api/auth/sign-in/anonymous" -H 'content-type: application/json' -d '{}' \
  | tr -d '\r' | awk -F': ' 'tolower($1)=="set-auth-token"{print $2}')
[ -n "$token" ] || { echo "no guest token" >&2; exit 1; }
input=$(printf '{"identityPoolId":"%s","datasetName":"quickstart"}' "$pool" | jq -sRr @uri)
session=$(curl -fsS -H "authorization: Bearer $token" "$url/trpc/record.list?input=$input" | jq -r .result.data.syncSessionToken)
written=$(curl -fsS -X POST -H "authorization: Bearer $token" -H 'content-type: application/json' "$url/trpc/record.update" \
  -d "{\"identityPoolId\":\"$pool\",\"datasetName\":\"quickstart\",\"syncSessionToken\":\"$session\",\"recordPatches\":[{\"op\":\"replace\",\"key\":\"hello\",\"value\":\"world\",\"syncCount\":0}]}")
echo "$written" | jq -e '.result.data.records[0].syncCount == 1' >/dev/null || { echo "sync failed: $written" >&2; exit 1; }

# The console is built on the first start (about a minute on two cores), then served.
for _ in $(seq 1 480); do
  grep -qE 'Console +http' "$log" && break
  kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "npm start exited before the console came up" >&2; exit 1; }
  sleep 0.5
done
console=$(grep -oE 'Console +http://[^ ]+' "$log" | awk '{print $2}')
[ -n "$console" ] || { cat "$log"; echo "npm start printed no console URL" >&2; exit 1; }
status=$(curl -s -o /dev/null -w '%{http_code}' "$console/")
case "$status" in 200|307|308) ;; *) echo "console answered $status" >&2; exit 1;; esac
curl -fsS "$console/trpc/meta.version" | jq -e '.result.data.protocolVersion >= 1' >/dev/null \
  || { echo "the console does not reach the API" >&2; exit 1; }
echo "quickstart: console at $console reaches the API"

kill -INT -- "-$pid"
for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
if kill -0 "$pid" 2>/dev/null; then echo "npm start did not stop on Ctrl-C" >&2; exit 1; fi
echo "quickstart: ok (guest synced one record; console up; stopped cleanly)"

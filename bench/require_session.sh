#!/bin/bash
# What the session check adds to a PostgREST request: pgbench replays
# PostgREST v12's transaction for POST /rpc/ping (bench/postgrest_rpc.sql) or
# for GET /todos?select=*, a user's 10 rows under row level security
# (bench/postgrest_todos.sql), without a db-pre-request, with a pre-request
# that does nothing, with auth_require_session() as the pre-request, and
# without a pre-request but with jcv_logout.require_session = on (the library
# preloaded), alternating, against 1M sessions in auth.sessions.
# Prints a markdown table. The extension must be installed first:
#   flock /tmp/jcv_logout.install.lock bash -c 'make -s install && bash bench/require_session.sh'
# Environment: REQUEST (rpc or todos, default rpc), DURATION (seconds per
# run, default 20), ROUNDS (default 3), SESSIONS (default 1000000), USERS
# (default 250000), ACTIVE (requests draw their session from sessions
# 1..ACTIVE only, default all), SESSION_CACHE (jcv_logout.session_cache,
# default 8192; 0: none), CLIENTS (default "1 2"), VARIANTS (default
# "0 3 2 1", the numbers of bench/postgrest_rpc.sql); with MODE=interleaved
# (below), WARMUP (seconds at the start of each run left out of its
# averages, default 0).
set -euo pipefail
cd "$(dirname "$0")/.."

duration=${DURATION:-20}
rounds=${ROUNDS:-3}
sessions=${SESSIONS:-1000000}
users=${USERS:-250000}
request=${REQUEST:-rpc}
case $request in
  rpc) method=POST path=/rpc/ping request_line="POST /rpc/ping" ;;
  todos) method=GET path=/todos request_line="GET /todos?select=*" ;;
  *) echo "REQUEST must be rpc or todos" >&2; exit 2 ;;
esac
# As on a project whose table holds many more sessions than users are
# making requests at the moment: the others are loaded but never asked for.
active=${ACTIVE:-$sessions}
if ! [ "$active" -ge 1 ] 2>/dev/null || [ "$active" -gt "$sessions" ]; then
  echo "ACTIVE must be between 1 and SESSIONS ($sessions)" >&2
  exit 2
fi

if [ "${1:-}" != --inside-cluster ]; then
  # shared_buffers holds auth.sessions and its key (about 240 MB at 1M
  # sessions) and public.todos with its user_id index (about 210 MB at 250k
  # users), as on a server sized for them; the 128 MB default would measure
  # reads from the OS cache.
  # jcv_logout in shared_preload_libraries, as the README recommends: the
  # session cache keeps sessions found alive (SESSION_CACHE entries per backend).
  exec bash "$(dirname "$0")/../test/virtualenv.sh" -o shared_buffers=1GB \
    -o shared_preload_libraries=jcv_logout -o jcv_logout.session_cache="${SESSION_CACHE:-8192}" \
    bash "$0" --inside-cluster
fi

# Run order: each pair compared (none and the setting, the no-op and ours as
# pre-requests) back to back, and every other round reversed, so that the
# machine's drift falls on both sides of each pair alike.
read -r -a variants <<<"${VARIANTS:-0 3 2 1}"
read -r -a client_counts <<<"${CLIENTS:-1 2}"
declare -A variant_name=([0]="no db-pre-request" [2]="no-op db-pre-request"
  [1]="auth_require_session() as db-pre-request" [3]="jcv_logout.require_session = on, no db-pre-request")
# As PostgREST's connections get them from ALTER ROLE authenticator SET ...
require_session_options="-c session_preload_libraries=jcv_logout -c jcv_logout.require_session=on"
options_of() { if [ "$1" = 3 ]; then echo "$require_session_options"; fi; }

echo "loading $sessions sessions of $users users ..." >&2
psql -q -v ON_ERROR_STOP=1 -f test/gotrue_schema.sql >/dev/null
psql -q -v ON_ERROR_STOP=1 -v users="$users" -v sessions="$sessions" -f bench/setup.sql >&2
psql -q -v ON_ERROR_STOP=1 >&2 <<'SQL'
CREATE EXTENSION pg_prewarm;
SELECT pg_prewarm('auth.sessions') AS sessions_pages, pg_prewarm('auth.sessions_pkey') AS key_pages,
       pg_prewarm('public.todos') AS todos_pages, pg_prewarm('public.todos_user_id_idx') AS todos_index_pages,
       current_setting('shared_buffers') AS shared_buffers;
SQL

# What PostgREST puts in request.headers: Supabase's headers and a real-sized token.
token=$(/usr/bin/python3 -c '
import jwt
print(jwt.encode({"aal": "aal1", "amr": [{"method": "password", "timestamp": 1764000000}],
  "app_metadata": {"provider": "email", "providers": ["email"]}, "aud": "authenticated",
  "email": "user1@example.com", "exp": 4102444800, "iat": 1764000000, "is_anonymous": False,
  "iss": "https://abcdefghijklmnop.supabase.co/auth/v1", "phone": "", "role": "authenticated",
  "session_id": "00000000-0000-4000-8000-000000000001", "sub": "00000000-0000-4000-8000-000000000002",
  "user_metadata": {}}, "bench-secret-with-at-least-32-characters-long", algorithm="HS256"))')
# supabase-js names the schema in Accept-Profile on a GET, in Content-Profile
# (with a JSON Content-Type) otherwise.
if [ "$request" = rpc ]; then
  headers="{\"accept\":\"*/*\",\"accept-encoding\":\"gzip, deflate\",\"apikey\":\"$token\",\"authorization\":\"Bearer $token\",\"content-length\":\"0\",\"content-profile\":\"public\",\"content-type\":\"application/json\",\"host\":\"localhost:3000\",\"user-agent\":\"node\",\"x-client-info\":\"supabase-js-node/2.45.0\"}"
else
  headers="{\"accept\":\"*/*\",\"accept-encoding\":\"gzip, deflate\",\"accept-profile\":\"public\",\"apikey\":\"$token\",\"authorization\":\"Bearer $token\",\"host\":\"localhost:3000\",\"user-agent\":\"node\",\"x-client-info\":\"supabase-js-node/2.45.0\"}"
fi

pgbench_args=(-n -M prepared -f "bench/postgrest_$request.sql"
  -D active="$active" -D users="$users"
  -D search_path='"public", "extensions"' -D role=authenticated -D method="$method"
  -D path="$path" -D headers="$headers" -D cookies='{}')

# Sanity: one transaction per variant must succeed (the hook lets a live
# session through), and the hook must refuse a session that does not exist.
for v in "${variants[@]}"; do
  PGOPTIONS=$(options_of "$v") pgbench "${pgbench_args[@]}" -D hook="$v" -t 1 -c 1 >/dev/null
done
refused=$(psql -Atq -v ON_ERROR_STOP=0 2>&1 <<'SQL' || true
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","sub":"00000000-0000-4000-8000-000000000002","session_id":"00000000-0000-4000-8000-000000000001"}', true) <> '';
SELECT public.auth_require_session();
SQL
)
echo "$refused" | grep -q 'session from access token does not exist' || { echo "hook did not refuse an unknown session" >&2; exit 1; }
refused=$(PGOPTIONS=$require_session_options psql -Atq -v ON_ERROR_STOP=0 2>&1 <<'SQL' || true
BEGIN;
SELECT set_config('request.jwt.claims', '{"role":"authenticated","sub":"00000000-0000-4000-8000-000000000002","session_id":"00000000-0000-4000-8000-000000000001"}', true) <> '';
SELECT public.ping();
SQL
)
echo "$refused" | grep -q 'session from access token does not exist' || { echo "jcv_logout.require_session did not refuse an unknown session" >&2; exit 1; }
if [ "$request" = todos ]; then
  # The read as the script sends it, with the claims of the last active
  # session's user: row level security must leave exactly that user's 10 rows.
  read_statement=$(sed -n 's/^\(WITH pgrst_source .*\);$/\1/p' bench/postgrest_todos.sql)
  as_user="BEGIN;
SELECT set_config('role', 'authenticated', true), set_config('request.jwt.claims', pg_catalog.json_build_object('role', 'authenticated',
  'sub', pg_catalog.md5('user' || (($active - 1) % $users + 1))::uuid, 'session_id', pg_catalog.md5('session' || $active)::uuid)::text, true) \g /dev/null"
  echo "plan of GET /todos?select=* under row level security:" >&2
  psql -Atq -v ON_ERROR_STOP=1 >&2 <<<"$as_user
EXPLAIN (COSTS OFF) $read_statement;"
  rows=$(psql -Atq -v ON_ERROR_STOP=1 <<<"$as_user
SELECT page_total, pg_catalog.json_array_length(body) FROM ($read_statement) AS response;")
  [ "$rows" = "10|10" ] || { echo "GET /todos returned $rows (page_total|rows in the body), not 10|10" >&2; exit 1; }
fi
echo "plan of the hook's lookup:" >&2
psql -Atq >&2 <<'SQL'
PREPARE find_user_session(uuid, uuid) AS
  SELECT id, user_id, not_after, created_at, updated_at, refreshed_at FROM auth.sessions WHERE id = $1 AND user_id = $2;
EXPLAIN (COSTS OFF) EXECUTE find_user_session(md5('session1')::uuid, md5('user1')::uuid);
SQL

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# "+m% (lowest … highest)" of ratios - 1
spread() {
  local sorted
  sorted=$(tr ' ' '\n' | grep -v '^$' | sort -g)
  printf '%s (%s … %s)' "$(echo "$sorted" | median | awk '{printf "%+.1f%%", $1 * 100}')" \
    "$(echo "$sorted" | head -n 1 | awk '{printf "%+.1f%%", $1 * 100}')" \
    "$(echo "$sorted" | tail -n 1 | awk '{printf "%+.1f%%", $1 * 100}')"
}

if [ "${MODE:-}" = interleaved ]; then
  # Both sides in one pgbench run: every connection picks, per transaction at
  # random, the request without a check or with jcv_logout.require_session
  # turned on for that transaction (one more set_config in the first
  # statement, on both sides), so both see the same moments of this shared
  # machine; each round compares the two scripts' average latencies.
  work=$(mktemp -d)
  for side in off on; do
    sed "s/^select set_config('search_path'/select set_config('jcv_logout.require_session', '$side', true), set_config('search_path'/" \
      "bench/postgrest_$request.sql" >"$work/$side.sql"
    grep -q "jcv_logout.require_session', '$side'" "$work/$side.sql"
  done
  interleaved_args=()
  for arg in "${pgbench_args[@]}"; do
    if [ "$arg" = "bench/postgrest_$request.sql" ]; then
      interleaved_args+=("$work/off.sql@1" -f "$work/on.sql@1")
    else
      interleaved_args+=("$arg")
    fi
  done
  # Each side's average latency from pgbench's log of every transaction
  # (client, number, latency in us, script, epoch seconds, us), leaving out
  # those that began in the first WARMUP seconds of the run: each run opens
  # new connections, whose caches start empty, where PostgREST keeps its
  # pooled connections (and what they have cached) for up to 30 minutes.
  warmup=${WARMUP:-0}
  declare -A ratios lat_off lat_on
  for round in $(seq 1 "$rounds"); do
    for clients in "${client_counts[@]}"; do
      rm -f "$work"/log*
      out=$(pgbench "${interleaved_args[@]}" -D hook=0 -c "$clients" -j "$clients" -T "$duration" \
        -l --log-prefix="$work/log" 2>&1)
      failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
      read -r off on < <(cat "$work"/log* | awk -v warmup="$warmup" '
        { start = $5 + $6 / 1e6 - $3 / 1e6; t[NR] = start; lat[NR] = $3; script[NR] = $4
          if (NR == 1 || start < first) first = start }
        END { for (i = 1; i <= NR; i++) if (t[i] >= first + warmup) { sum[script[i]] += lat[i]; n[script[i]]++ }
              if (n[0] && n[1]) printf "%.5f %.5f\n", sum[0] / n[0] / 1000, sum[1] / n[1] / 1000 }')
      if [ -z "${on:-}" ] || [ "${failed:-0}" != 0 ]; then echo "$out" >&2; exit 1; fi
      ratios[$clients]="${ratios[$clients]:-} $(awk -v a="$off" -v b="$on" 'BEGIN {print b / a - 1}')"
      lat_off[$clients]="${lat_off[$clients]:-} $off"
      lat_on[$clients]="${lat_on[$clients]:-} $on"
      echo "round $round, -c $clients: $off ms without a check, $on ms with jcv_logout.require_session" >&2
    done
  done
  rm -rf "$work"
  echo
  echo "PostgreSQL $(psql -Atc 'SHOW server_version'), $(nproc) CPUs, shared_buffers $(psql -Atc 'SHOW shared_buffers'), pgbench -M prepared over TCP (localhost), $rounds rounds of -T $duration, each interleaving both sides per transaction$([ "$warmup" != 0 ] && echo " (averages of the transactions after the first $warmup s)"), $request_line (bench/postgrest_$request.sql), $sessions sessions ($active active), jcv_logout preloaded with jcv_logout.session_cache = $(psql -Atc 'SHOW jcv_logout.session_cache')"
  echo
  echo "| clients | latency without a check (ms) | with jcv_logout.require_session (ms) | time per request: median of rounds (lowest … highest) |"
  echo "|---:|---:|---:|---:|"
  for clients in "${client_counts[@]}"; do
    printf '| %d | %.4f | %.4f | %s |\n' "$clients" "$(echo "${lat_off[$clients]}" | median)" \
      "$(echo "${lat_on[$clients]}" | median)" "$(echo "${ratios[$clients]}" | spread)"
  done
  exit 0
fi

declare -A tps latency round_tps
for round in $(seq 1 "$rounds"); do
  order=("${variants[@]}")
  if [ $((round % 2)) = 0 ]; then
    for ((i = 0; i < ${#variants[@]}; i++)); do order[i]=${variants[${#variants[@]} - 1 - i]}; done
  fi
  for clients in "${client_counts[@]}"; do
    for v in "${order[@]}"; do
      out=$(PGOPTIONS=$(options_of "$v") pgbench "${pgbench_args[@]}" -D hook="$v" -c "$clients" -j "$clients" -T "$duration" 2>&1)
      t=$(echo "$out" | sed -n 's/^tps = \([0-9.]*\) .*/\1/p')
      l=$(echo "$out" | sed -n 's/^latency average = \([0-9.]*\) ms/\1/p')
      failed=$(echo "$out" | sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p')
      if [ -z "$t" ] || [ "${failed:-0}" != 0 ]; then echo "$out" >&2; exit 1; fi
      tps[$clients,$v]="${tps[$clients,$v]:-} $t"
      round_tps[$clients,$v,$round]=$t
      latency[$clients,$v]="${latency[$clients,$v]:-} $l"
      echo "round $round, -c $clients, ${variant_name[$v]}: $t tps, $l ms" >&2
    done
  done
done

# Median over the rounds of (time per request of variant v) / (that of variant
# base) - 1, each round's pair measured back to back: the machine's drift
# between rounds cancels out. Then the lowest and highest round's.
paired_overhead() {  # paired_overhead CLIENTS V BASE
  local r ratios=""
  for r in $(seq 1 "$rounds"); do
    ratios="$ratios $(awk -v b="${round_tps[$1,$3,$r]}" -v t="${round_tps[$1,$2,$r]}" 'BEGIN {print b / t - 1}')"
  done
  echo "$ratios" | spread
}

echo
echo "PostgreSQL $(psql -Atc 'SHOW server_version'), $(nproc) CPUs, shared_buffers $(psql -Atc 'SHOW shared_buffers'), pgbench -M prepared over TCP (localhost), -T $duration, $rounds alternating rounds (tps and latency: medians; overheads: medians of each round's ratio), $request_line (bench/postgrest_$request.sql), $sessions sessions ($active active), jcv_logout preloaded with jcv_logout.session_cache = $(psql -Atc 'SHOW jcv_logout.session_cache')"
echo
echo "| clients | db-pre-request | tps | latency (ms) | time per request vs none: median (rounds' lowest … highest) | vs no-op pre-request |"
echo "|---:|---|---:|---:|---:|---:|"
for clients in "${client_counts[@]}"; do
  for v in "${variants[@]}"; do
    t=$(echo "${tps[$clients,$v]}" | median)
    l=$(echo "${latency[$clients,$v]}" | median)
    vs_none="—"
    vs_noop="—"
    [ "$v" != 0 ] && [ -n "${tps[$clients,0]:-}" ] && vs_none=$(paired_overhead "$clients" "$v" 0)
    [ "$v" = 1 ] && [ -n "${tps[$clients,2]:-}" ] && vs_noop=$(paired_overhead "$clients" "$v" 2)
    printf '| %d | %s | %.0f | %.3f | %s | %s |\n' "$clients" "${variant_name[$v]}" "$t" "$l" "$vs_none" "$vs_noop"
  done
done

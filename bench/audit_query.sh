#!/bin/bash
# Benchmark of "kotctl audit query" and "kotctl audit verify": generates
# a log of $RECORDS records (default 1,000,000) over $CHAINS interleaved
# chains with bench/audit_gen, then times each command on it, plain and
# gzip'd.  A measurement, not a test: it fails only if a command does.
#
#     make && bench/audit_query.sh
#     RECORDS=200000 CHAINS=16 bench/audit_query.sh

set -euo pipefail

cd "$(dirname "$0")/.."

RECORDS=${RECORDS:-1000000}
CHAINS=${CHAINS:-8}
KOTCTL=build/kotctl
GEN=build/bench/audit_gen

make -s "$KOTCTL" "$GEN" >/dev/null

dir=$(mktemp -d /tmp/kot-bench-XXXXXXXX)
trap 'rm -rf "$dir"' EXIT

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$dir/auditor.pem" 2>/dev/null
openssl pkey -in "$dir/auditor.pem" -pubout -out "$dir/auditor.pub"
head -c 32 /dev/urandom >"$dir/secret"
chmod 600 "$dir/secret"

log=$dir/audit.log

echo "generating $RECORDS records in $CHAINS chains..."
"$GEN" "$dir/auditor.pub" "$log" "$RECORDS" "$CHAINS"
gzip -c -1 "$log" >"$log.gz"
printf 'log: %s MB, gzip'"'"'d: %s MB\n' \
    "$(( $(stat -c %s "$log") / 1000000 ))" \
    "$(( $(stat -c %s "$log.gz") / 1000000 ))"

now() {
    date +%s%N
}

# run NAME COMMAND...: times one run, prints records/s over the whole log
run() {
    local name=$1 start end out
    shift

    start=$(now)
    out=$("$@" | wc -l)
    end=$(now)

    awk -v n="$RECORDS" -v ns="$((end - start))" -v name="$name" \
        -v out="$out" 'BEGIN {
            printf "%-40s %8.3f s %10.0f records/s (%d lines out)\n",
                   name, ns / 1e9, n / (ns / 1e9), out }'
}

ctl=("$KOTCTL" --secret-file "$dir/secret")

run "query --user (rare)" "${ctl[@]}" audit query --user u0042 "$log"
run "query --tenant --action (2%)" \
    "${ctl[@]}" audit query --tenant acme --action login "$log"
run "query --outcome failure" \
    "${ctl[@]}" audit query --outcome failure "$log"
run "query --since --until (10 min)" "${ctl[@]}" audit query \
    --since 2026-11-26T01:00:00Z --until 2026-11-26T01:10:00Z "$log"
run "query, no filter (all out)" "${ctl[@]}" audit query "$log"
run "query --user (rare), gzip" \
    "${ctl[@]}" audit query --user u0042 "$log.gz"
run "verify --no-anchors" "${ctl[@]}" audit verify \
    --auditor-private-key "$dir/auditor.pem" --no-anchors "$log"
run "verify --no-anchors, gzip" "${ctl[@]}" audit verify \
    --auditor-private-key "$dir/auditor.pem" --no-anchors "$log.gz"

#!/usr/bin/env bash
# Measures `keyhold import FILE...` with many key files in one run (one passphrase, one vault write).
# Usage: scripts/bench-batch-import.sh [COUNT] [KEYHOLD]   (default 1000 keys, .build/release/keyhold)
# The keys are made with ssh-keygen (700 Ed25519, 200 ECDSA P-256, 100 RSA-2048 per 1,000, as `keyhold-bench vault`);
# the vault uses the default KDF, so the time includes one Argon2id at the moderate limits.
set -euo pipefail
cd "$(dirname "$0")/.."
count="${1:-1000}"
keyhold="${2:-.build/release/keyhold}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/keyhold-batch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/keys"
for i in $(seq 1 "$count"); do
  case $((i % 10)) in
    0) args=(-t rsa -b 2048 -m PEM) ;;
    1 | 2) args=(-t ecdsa -b 256) ;;
    *) args=(-t ed25519) ;;
  esac
  ssh-keygen -q "${args[@]}" -N '' -C "k$i" -f "$tmp/keys/k$i" &
  if ((i % 32 == 0)); then wait; fi
done
wait
rm -f "$tmp/keys"/*.pub
echo 'batch passphrase' >"$tmp/pass"
"$keyhold" init --vault "$tmp/vault" --passphrase-fd 3 3<"$tmp/pass" >/dev/null
start=$(date +%s.%N)
"$keyhold" import --vault "$tmp/vault" --passphrase-fd 3 3<"$tmp/pass" "$tmp/keys"/* >"$tmp/out"
end=$(date +%s.%N)
imported=$(grep -c '^imported ' "$tmp/out")
[ "$imported" = "$count" ] || { echo "imported $imported of $count" >&2; exit 1; }
awk -v n="$count" -v s="$start" -v e="$end" 'BEGIN { printf "imported %d key files in one run: %.2f s\n", n, e - s }'

#!/usr/bin/env bash
# Seeds the libFuzzer corpus used by `make fuzz` with the committed test vectors, each prefixed with the selector
# byte that routes it to its decoder in Sources/FuzzDecoders/FuzzDecoders.swift:
#   0x00 KeyFile.parse with the test passphrase, 0x02 KeyFile.parse without one,
#   0x03 PublicKey(blob:) with the blobs of the .pub vectors.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-.fuzz-corpus}
mkdir -p "$corpus"
n=0
for f in testdata/keys/* testdata/wrappers/*; do
  case "$f" in *.expect) continue ;; esac
  base=$(basename "$f")
  { printf '\x00'; cat "$f"; } >"$corpus/seed-key-$base"
  { printf '\x02'; cat "$f"; } >"$corpus/seed-nopass-$base"
  n=$((n + 2))
  case "$f" in
    *.pub)
      { printf '\x03'; cut -d' ' -f2 "$f" | base64 -d; } >"$corpus/seed-blob-$base" 2>/dev/null && n=$((n + 1)) ;;
  esac
done
echo "seeded $n inputs into $corpus"

#!/usr/bin/env bash
# Records what cloud tools print when they create a key pair, as fixtures for keyhold's wrapper parsing.
#
#   testdata/wrappers/aws-json-rsa.txt       aws ec2 create-key-pair (JSON output, RSA, PKCS#1 PEM material)
#   testdata/wrappers/aws-json-ed25519.txt   aws ec2 create-key-pair --key-type ed25519 (OpenSSH material)
#   testdata/wrappers/aws-text-rsa.txt       aws ec2 create-key-pair --output text (tab-separated)
#   testdata/wrappers/euca-rsa.txt           euca-add-keypair output: "KEYPAIR\tNAME\tFINGERPRINT" + PEM + newline
#   testdata/wrappers/euca-rsa-noblank.txt   the same without the trailing newline after the PEM
#   *.expect                                 wrapper, key name, fingerprint, key pair id, type of the key inside
#
# The aws fixtures come from the real aws cli talking to a moto_server started here on loopback. euca2ools is not
# installable on current systems, so its output is synthesised in the exact shape euca2ools 3 prints
# (`print tabify(('KEYPAIR', keyName, keyFingerprint))` then `print keyMaterial`) around moto's key material.
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/wrappers
mkdir -p "$out"

port=${MOTO_PORT:-$((20000 + RANDOM % 20000))}
moto_server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.2
done

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
aws_ec2() { aws --endpoint-url "http://127.0.0.1:$port" ec2 "$@"; }

field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]], end="")' "$1" "$2"; }

expect_from_json() { # json-file wrapper type
  {
    echo "wrapper: $2"
    echo "key-name: $(field "$1" KeyName)"
    echo "cloud-fingerprint: $(field "$1" KeyFingerprint)"
    echo "key-pair-id: $(field "$1" KeyPairId)"
    echo "type: $3"
  }
}

aws_ec2 create-key-pair --key-name fixture-rsa >"$out/aws-json-rsa.txt"
expect_from_json "$out/aws-json-rsa.txt" aws-json ssh-rsa >"$out/aws-json-rsa.txt.expect"

aws_ec2 create-key-pair --key-name fixture-ed25519 --key-type ed25519 >"$out/aws-json-ed25519.txt"
expect_from_json "$out/aws-json-ed25519.txt" aws-json ssh-ed25519 >"$out/aws-json-ed25519.txt.expect"

aws_ec2 create-key-pair --key-name fixture-text --output text >"$out/aws-text-rsa.txt"
{
  echo "wrapper: aws-text"
  echo "key-name: fixture-text"
  echo "cloud-fingerprint: $(head -1 "$out/aws-text-rsa.txt" | cut -f1)"
  echo "key-pair-id: $(tail -1 "$out/aws-text-rsa.txt" | cut -f3)"
  echo "type: ssh-rsa"
} >"$out/aws-text-rsa.txt.expect"

# euca2ools: one JSON response from moto provides a real name, fingerprint and PEM.
aws_ec2 create-key-pair --key-name euca-fixture >"$out/.euca.json"
{
  printf 'KEYPAIR\t%s\t%s\n' "$(field "$out/.euca.json" KeyName)" "$(field "$out/.euca.json" KeyFingerprint)"
  field "$out/.euca.json" KeyMaterial
  echo
} >"$out/euca-rsa.txt"
{
  printf 'KEYPAIR\t%s\t%s\n' "$(field "$out/.euca.json" KeyName)" "$(field "$out/.euca.json" KeyFingerprint)"
  field "$out/.euca.json" KeyMaterial | sed '$ { /^$/d }'
} | head -c -1 >"$out/euca-rsa-noblank.txt"
for f in euca-rsa euca-rsa-noblank; do
  {
    echo "wrapper: euca2ools"
    echo "key-name: euca-fixture"
    echo "cloud-fingerprint: $(field "$out/.euca.json" KeyFingerprint)"
    echo "key-pair-id:"
    echo "type: ssh-rsa"
  } >"$out/$f.txt.expect"
done
rm -f "$out/.euca.json"
echo "wrote $(ls "$out" | wc -l) files to $out"

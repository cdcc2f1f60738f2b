#!/usr/bin/env bash
# Seeds the libFuzzer corpus used by `make fuzz` with the committed test vectors, each prefixed with the selector
# byte that routes it to its decoder in Sources/FuzzDecoders/FuzzDecoders.swift:
#   0x00 KeyFile.parse with the test passphrase, 0x02 KeyFile.parse without one,
#   0x03 PublicKey(blob:) with the blobs of the .pub vectors,
#   0x07 VaultFile.decode (whole files, and version 2 bodies the fuzzer wraps in a valid envelope),
#   0x08 XMLScanner.parse with the cloud answers,
#   0x09 IniFile with no inline comments (aws cli), 0x0a with `;` comments (euca2ools), then the resolver,
#   0x0b the eucarc parser, then the resolver,
#   0x0c AuditReport(records:),
#   0x0d VaultFile.decode of version 1 bodies in a valid version 1 envelope,
#   0x10 AgentStatus.decode (the status@keyhold reply's contents),
#   0x11 UserAuthRequest.parse, PublicKeyBlob and SignatureBlob (what a sign request carries),
#   0x12 console output, 0x13 DescribeInstances and GetConsoleOutput answers, 0x14 signature log lines,
#   0x15 PKCS #11 helper messages, 0x16 the host files, 0x17 `keyhold import -` input (several keys in a row).
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

# Vault files: each whole, and its body (between the 28-byte prefix and the 32-byte checksum) for the branch that
# supplies a correct envelope of the file's own version, so mutations reach the entries, retired entries and status
# records instead of stopping at the checksum.
for f in testdata/vault/*/*.vault; do
  base=$(basename "$(dirname "$f")")-$(basename "$f")
  { printf '\x07'; cat "$f"; } >"$corpus/seed-vault-$base"
  n=$((n + 1))
  size=$(wc -c <"$f")
  [ "$size" -gt 60 ] || continue
  case "$(od -An -tx1 -j8 -N4 "$f" | tr -d ' ')" in
    00000001) selector='\x0d' ;;
    *) selector='\x07' ;;
  esac
  { printf "$selector"; tail -c +29 "$f" | head -c $((size - 28 - 32)); } >"$corpus/seed-vault-body-$base"
  n=$((n + 1))
done

for f in testdata/cloud/*.xml; do
  { printf '\x08'; cat "$f"; } >"$corpus/seed-xml-$(basename "$f")"
  n=$((n + 1))
done

for f in testdata/config/*.ini; do
  base=$(basename "$f")
  { printf '\x09'; cat "$f"; } >"$corpus/seed-ini-$base"
  { printf '\x0a'; cat "$f"; } >"$corpus/seed-ini-semicolon-$base"
  n=$((n + 2))
done

for f in testdata/config/eucarc*; do
  { printf '\x0b'; cat "$f"; } >"$corpus/seed-eucarc-$(basename "$f")"
  n=$((n + 1))
done

# Audit records in the format AuditReport.encodeRecords() writes: a failed scope, an in-sync entry with every
# optional field set (escapes included) and an orphaned one with every optional field absent.
{
  printf '\x0c'
  printf 'keyhold-audit\t2\t1767225600\n'
  printf 'F\taws\t123456789012\tap-south-2\tAuthFailure\tnot subscribed\\tto this region\n'
  printf 'E\tin-sync\taws\t123456789012\tus-east-1\tweb\tweb\tsha1-pkcs8\t1f:2e\tkey-0abc\tkey-0abc'
  printf '\thttps://ec2.example\t210987654321\teu-west-1\tweb-moved\t3\tThrottling\tslow\\ndown'
  printf '\t1\taws\t\t\tweb\t1767139200\ta back\\\\slash\n'
  printf 'E\torphaned\thttps://euca.example:8773/\t000000000000\teucalyptus\told\t\\N\t\\N\t\\N\t\\N\t\\N'
  printf '\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t0\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\n'
} >"$corpus/seed-audit-records"
n=$((n + 1))
# SSH wire encodings (RFC 4251 §5) for the seeds below, which are written in the formats the decoders read.
u32() { printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 >> 24 & 255)) $(($1 >> 16 & 255)) $(($1 >> 8 & 255)) $(($1 & 255)))"; }
u64() { u32 $(($1 >> 32)); u32 $(($1 & 0xffffffff)); }
text() { u32 ${#1}; printf '%s' "$1"; }
file() { u32 "$(wc -c <"$1")"; cat "$1"; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

# status@keyhold replies as AgentStatus.encode() writes them (keyhold-agent(1), "EXTENSIONS"): bool locked, byte
# vault state, uint64 seconds, uint32 seconds left, uint32 added, vault and listed keys, string socket, uint32 pid,
# string why sealed keys are not listed; the last one with a field from a later version after it.
{ printf '\x10\x00\x02'; u64 5400; u32 1800; u32 2; u32 5; u32 5; text /run/user/1000/keyhold/agent.socket; u32 4242
  text ''; } >"$corpus/seed-status-open"
{ printf '\x10\x00\x01'; u64 86400; u32 0; u32 0; u32 3; u32 0; text /tmp/ssh-XXXXXXabcdef/agent.17; u32 17
  text 'no askpass program'; } >"$corpus/seed-status-sealed"
{ printf '\x10\x01\x00'; u64 0; u32 0; u32 1; u32 0; u32 0; text ''; u32 1; text ''; u32 7; } >"$corpus/seed-status-later"
n=$((n + 3))

# Sign request data: the committed .pub vectors' blobs, user authentication requests (RFC 4252 §7, and OpenSSH's
# publickey-hostbound-v00@openssh.com) around them, and signature blobs (RFC 8709 §6, RFC 5656 §3.1.2).
for f in testdata/fingerprints/*.pub; do
  base=$(basename "$f" .pub)
  cut -d' ' -f2 "$f" | base64 -d >"$scratch/blob"
  { printf '\x11'; cat "$scratch/blob"; } >"$corpus/seed-signed-blob-$base"
  { printf '\x11'; text "$(printf 'session-id-%.0s' 1 2 3)"; printf '\x32'; text git; text ssh-connection
    text publickey; printf '\x01'; text "$(cut -d' ' -f1 "$f")"; file "$scratch/blob"; } >"$corpus/seed-signed-auth-$base"
  { printf '\x11'; text "$(printf 'session-id-%.0s' 1 2 3)"; printf '\x32'; text root; text ssh-connection
    text publickey-hostbound-v00@openssh.com; printf '\x01'; text "$(cut -d' ' -f1 "$f")"; file "$scratch/blob"
    file "$scratch/blob"; } >"$corpus/seed-signed-hostbound-$base"
  n=$((n + 3))
done
{ printf '\x11'; text ssh-ed25519; u32 64; printf '\x5a%.0s' $(seq 64); } >"$corpus/seed-signed-sig-ed25519"
{ printf '\x11'; text rsa-sha2-512; u32 256; printf '\xa5%.0s' $(seq 256); } >"$corpus/seed-signed-sig-rsa"
{ printf '\x11'; text ecdsa-sha2-nistp256; u32 $((4 + 33 + 4 + 32)); u32 33; printf '\x00\x80'; printf '\x11%.0s' $(seq 31)
  u32 32; printf '\x22%.0s' $(seq 32); } >"$corpus/seed-signed-sig-ecdsa"
n=$((n + 3))
# Console output (selector 18): cloud-init's host key block around the committed .pub vectors, with the CR line ends
# and noise a serial console adds.
{ printf '\x12'; printf 'ec2: booting\r\n-----BEGIN SSH HOST KEY KEYS-----\r\n'
  for f in testdata/fingerprints/*.pub; do cut -d' ' -f1,2 "$f" | sed 's/$/ root@ip-10-0-0-1\r/'; done
  printf -- '-----END SSH HOST KEY KEYS-----\r\nec2: done\r\n'; } >"$corpus/seed-console"
n=$((n + 1))

# DescribeInstances and GetConsoleOutput answers (selector 19): the committed cloud fixtures.
for f in testdata/cloud/*describe-instances*.xml; do
  { printf '\x13'; cat "$f"; } >"$corpus/seed-instances-$(basename "$f")"
  n=$((n + 1))
done

# A signature log line (selector 20) in the field order SignatureLogCodec writes (keyhold-log(1)).
{ printf '\x14'; printf '{"v":1,"time":"2026-12-01T10:00:00Z","event":"sign","key":"web","fingerprint":"SHA256:AAAA",'
  printf '"source":"vault","outcome":"signed","reason":null,"uid":1000,"pid":4242,"process":"ssh","exe":"/usr/bin/ssh",'
  printf '"parents":[{"pid":4000,"process":"bash","exe":"/usr/bin/bash"}],"host_key":"SHA256:BBBB","host":"i-0abc",'
  printf '"hops":1,"user":"root","purpose":"ssh-userauth","lost":null}'; } >"$corpus/seed-siglog"
n=$((n + 1))

# PKCS #11 helper messages (selector 21; SSHWire's PKCS11HelperMessage): LOAD, SIGN, KEYS, SIGNATURE and FAILURE
# bodies.
{ printf '\x15\x01'; text /usr/lib/softhsm/libsofthsm2.so; text 1234; } >"$corpus/seed-p11-load"
{ printf '\x15\x02'; file "$scratch/blob"; text data-to-sign; u32 4; } >"$corpus/seed-p11-sign"
{ printf '\x15\x80'; u32 1; file "$scratch/blob"; text 'token key'; } >"$corpus/seed-p11-keys"
{ printf '\x15\x81'; text ssh-ed25519; u32 64; printf '\x5a%.0s' $(seq 64); } >"$corpus/seed-p11-signature"
{ printf '\x15\x82'; u32 2; text 'the PIN is incorrect'; } >"$corpus/seed-p11-failure"
n=$((n + 5))

# Host files (selector 22; keyhold-hosts(5)): a learned file and an instances file whose console host keys and user
# key are the committed .pub vectors, as `keyhold sync` and the agent write them.
set -- testdata/fingerprints/*.pub
hostfp=$(ssh-keygen -lf "$1" | cut -d' ' -f2)
userfp=$(ssh-keygen -lf "$2" | cut -d' ' -f2)
hostline=$(cut -d' ' -f1,2 "$1")
{ printf '\x16{"format":"keyhold-hosts","version":1}\n'
  printf '{"firstUse":"2026-12-02T04:40:00Z","hostKey":"%s","hostKeyLine":"%s","key":"%s",' "$hostfp" "$hostline" "$userfp"
  printf '"keyName":"deploy","lastUse":"2026-12-02T05:10:00Z","user":"root","uses":3}\n'
  printf '{"firstUse":"2026-12-01T00:00:00Z","hostKey":"%s","key":"%s","lastUse":"2026-12-01T00:00:00Z",' "$userfp" "$hostfp"
  printf '"user":"ec2-user","uses":1}\n'; } >"$corpus/seed-hosts-learned"
{ printf '\x16{"format":"keyhold-instances","version":1}\n'
  printf '{"account":"123456789012","endpoint":"https://ec2.us-east-1.amazonaws.com/","hostKeys":['
  sep=''
  for f in testdata/fingerprints/*.pub; do printf '%s"%s"' "$sep" "$(cut -d' ' -f1,2 "$f")"; sep=','; done
  printf '],"hostKeysAt":"2026-12-02T04:00:00Z","id":"i-0abc","keyFingerprint":"%s","keyName":"deploy",' "$userfp"
  printf '"launchTime":"2026-12-01T23:00:00Z","name":"web","privateDNS":"ip-10-0-0-1.ec2.internal",'
  printf '"privateIP":"10.0.0.1","publicDNS":"ec2-203-0-113-7.compute-1.amazonaws.com","publicIP":"203.0.113.7",'
  printf '"region":"us-east-1","state":"running","vaultKey":"deploy"}\n'
  printf '{"endpoint":"http://euca.example:8773/services/compute","hostKeys":[],"id":"i-0def","region":"eucalyptus",'
  printf '"state":"stopped"}\n'; } >"$corpus/seed-hosts-instances"
n=$((n + 2))

# Several cloud tool outputs in a row, as `keyhold import -` reads them (selector 23).
{ printf '\x17'; for f in testdata/wrappers/*.txt; do cat "$f"; echo; done; } >"$corpus/seed-key-stream"
n=$((n + 1))
echo "seeded $n inputs into $corpus"

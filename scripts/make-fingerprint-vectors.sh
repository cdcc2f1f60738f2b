#!/bin/sh
# Writes testdata/fingerprints/: a few keys and, per key, a NAME.expect file listing its type, size and every
# fingerprint kind keyhold computes, each computed here by ssh-keygen or openssl (the line above each value says how).
# Keys are random; the files are committed once and only regenerated on purpose.
#
# Per key NAME:
#   NAME.openssh  the private key, unencrypted OpenSSH format (what the tests load)
#   NAME.pem      the same key in the PEM form a cloud or openssl would hand out (RSA: PKCS#1, EC: SEC1); none for
#                 ed25519, whose PKCS#8 is derived from the seed (see below)
#   NAME.pub      the OpenSSH public line
#   NAME.expect   "kind: value" lines; lines starting with # say how the next value was computed
# Also ed25519-cert.pub (a user certificate for ed25519.pub, signed by ca-ecdsa) and its .expect.
set -eu

cd "$(dirname "$0")/.."
out=testdata/fingerprints
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -rf "$out"
mkdir -p "$out"

# colon hex of a digest of stdin: `openssl dgst -c` prints "NAME(stdin)= aa:bb:..."
digest() { openssl dgst "-$1" -c | sed 's/^.*= //'; }

# Fingerprints shared by every key type. $1 = name; the private PEM or DER source is handled by the caller.
public_kinds() {
  name=$1
  pub="$out/$name.pub"
  {
    echo "# how: ssh-keygen -l -E sha256 -f $name.pub"
    echo "ssh-sha256: $(ssh-keygen -l -E sha256 -f "$pub" | awk '{print $2}')"
    echo "# how: ssh-keygen -l -E md5 -f $name.pub"
    echo "ssh-md5: $(ssh-keygen -l -E md5 -f "$pub" | awk '{print $2}')"
    echo "# how: ssh-keygen -l -E md5 -f $name.pub, without MD5:"
    echo "md5-ssh: $(ssh-keygen -l -E md5 -f "$pub" | awk '{print $2}' | sed 's/^MD5://')"
    echo "# how: awk '{print \$2}' $name.pub | base64 -d | openssl dgst -sha256 -binary | base64"
    echo "sha256-b64: $(awk '{print $2}' "$pub" | base64 -d | openssl dgst -sha256 -binary | base64)"
    echo "# how: DER SubjectPublicKeyInfo ($SPKI_HOW) | openssl dgst -md5 -c"
    echo "md5-spki: $(digest md5 <"$tmp/$name.spki")"
    echo "# how: DER SubjectPublicKeyInfo ($SPKI_HOW) | openssl dgst -sha1 -c"
    echo "sha1-spki: $(digest sha1 <"$tmp/$name.spki")"
    echo "# how: DER SubjectPublicKeyInfo ($SPKI_HOW) | openssl dgst -sha256 -c"
    echo "sha256-spki-hex: $(digest sha256 <"$tmp/$name.spki")"
  } >>"$out/$name.expect"
}

header() {
  name=$1
  {
    echo "# Expected fingerprints of $name.openssh (and $name.pub), made by scripts/make-fingerprint-vectors.sh."
    echo "key: $name.openssh"
    echo "type: $(awk '{print $1}' "$out/$name.pub")"
    echo "# how: ssh-keygen -l -f $name.pub"
    echo "bits: $(ssh-keygen -l -f "$out/$name.pub" | awk '{print $1}')"
  } >"$out/$name.expect"
}

# A PEM-born key (the cloud's view) converted to OpenSSH format by ssh-keygen, which keeps p and q in order.
pem_key() {
  name=$1
  cp "$out/$name.pem" "$out/$name.openssh"
  chmod 600 "$out/$name.pem" "$out/$name.openssh"
  ssh-keygen -q -p -N '' -P '' -C "$name" -f "$out/$name.openssh" >/dev/null
  ssh-keygen -y -f "$out/$name.openssh" >"$out/$name.pub"
  header "$name"
  openssl pkey -in "$out/$name.pem" -pubout -outform DER >"$tmp/$name.spki"
  SPKI_HOW="openssl pkey -in $name.pem -pubout -outform DER"
  public_kinds "$name"
  {
    echo "# how: openssl pkcs8 -in $name.pem -nocrypt -topk8 -outform DER | openssl dgst -sha1 -c"
    echo "sha1-pkcs8: $(openssl pkcs8 -in "$out/$name.pem" -nocrypt -topk8 -outform DER | digest sha1)"
  } >>"$out/$name.expect"
}

# An ssh-keygen-born key; its PEM comes from `ssh-keygen -p -m PEM`.
openssh_key() {
  name=$1
  shift
  ssh-keygen -q "$@" -N '' -C "$name" -f "$out/$name.openssh"
  mv "$out/$name.openssh.pub" "$out/$name.pub"
  cp "$out/$name.openssh" "$out/$name.pem"
  chmod 600 "$out/$name.pem"
  ssh-keygen -q -p -m PEM -N '' -P '' -f "$out/$name.pem" >/dev/null
  pem_fingerprints_from_openssh "$name"
}

pem_fingerprints_from_openssh() {
  name=$1
  header "$name"
  openssl pkey -in "$out/$name.pem" -pubout -outform DER >"$tmp/$name.spki"
  SPKI_HOW="ssh-keygen -p -m PEM, then openssl pkey -pubout -outform DER"
  public_kinds "$name"
  {
    echo "# how: ssh-keygen -p -m PEM, then openssl pkcs8 -in $name.pem -nocrypt -topk8 -outform DER | openssl dgst -sha1 -c"
    echo "sha1-pkcs8: $(openssl pkcs8 -in "$out/$name.pem" -nocrypt -topk8 -outform DER | digest sha1)"
  } >>"$out/$name.expect"
}

# RSA as AWS, Eucalyptus and moto hand it out: PKCS#1 "RSA PRIVATE KEY".
openssl genrsa -traditional -out "$out/rsa-2048.pem" 2048 2>/dev/null
pem_key rsa-2048
# RSA made by ssh-keygen.
openssh_key rsa-3072 -t rsa -b 3072
# ECDSA from openssl (SEC1) and from ssh-keygen.
openssl ecparam -name secp384r1 -genkey -noout -out "$out/ecdsa-384.pem"
pem_key ecdsa-384
openssh_key ecdsa-256 -t ecdsa -b 256
openssh_key ecdsa-521 -t ecdsa -b 521

# Ed25519 from ssh-keygen. ssh-keygen cannot write it as PEM, so the DER forms are built from the raw keys:
# SPKI = 302a300506032b6570032100 || A (RFC 8410), PKCS#8 = 302e020100300506032b657004220420 || seed, normalised by
# openssl. In an unencrypted one-key ssh-keygen file with a 7-byte comment the seed starts at byte 161 of the
# decoded body (magic 15, cipher 8, kdf 8, kdfoptions 4, count 4, public blob 55, section length 4, checkints 8,
# type 15, public key 36, secret length 4).
name=ed25519
ssh-keygen -q -t ed25519 -N '' -C "$name" -f "$out/$name.openssh"
mv "$out/$name.openssh.pub" "$out/$name.pub"
sed '1d;$d' "$out/$name.openssh" | base64 -d >"$tmp/body"
dd if="$tmp/body" of="$tmp/seed" bs=1 skip=161 count=32 2>/dev/null
dd if="$tmp/body" of="$tmp/a-in-secret" bs=1 skip=193 count=32 2>/dev/null
awk '{print $2}' "$out/$name.pub" | base64 -d | tail -c 32 >"$tmp/a"
cmp -s "$tmp/a" "$tmp/a-in-secret" || { echo "ed25519 layout unexpected" >&2; exit 1; }
{ printf '\060\052\060\005\006\003\053\145\160\003\041\000'; cat "$tmp/a"; } >"$tmp/$name.spki"
openssl pkey -pubin -inform DER -in "$tmp/$name.spki" -noout # must parse
{ printf '\060\056\002\001\000\060\005\006\003\053\145\160\004\042\004\040'; cat "$tmp/seed"; } >"$tmp/$name.p8"
header "$name"
SPKI_HOW="302a300506032b6570032100 || public key"
public_kinds "$name"
{
  echo "# how: (302e020100300506032b657004220420 || seed) | openssl pkey -inform DER | openssl pkcs8 -nocrypt -topk8 -outform DER | openssl dgst -sha1 -c"
  echo "sha1-pkcs8: $(openssl pkey -inform DER -in "$tmp/$name.p8" | openssl pkcs8 -nocrypt -topk8 -outform DER | digest sha1)"
} >>"$out/$name.expect"

# A user certificate for ed25519.pub signed by an ECDSA CA; fingerprints of a certificate are its plain key's.
ssh-keygen -q -t ecdsa -b 256 -N '' -C ca -f "$tmp/ca"
cp "$out/ed25519.pub" "$tmp/user.pub"
ssh-keygen -q -s "$tmp/ca" -I keyhold-test -n alice,bob -V 20250101:20350101 -z 42 "$tmp/user.pub"
cp "$tmp/user-cert.pub" "$out/ed25519-cert.pub"
{
  echo "# Expected values for ed25519-cert.pub, made by scripts/make-fingerprint-vectors.sh."
  echo "certificate: ed25519-cert.pub"
  echo "key: ed25519.openssh"
  echo "type: $(awk '{print $1}' "$out/ed25519-cert.pub")"
  echo "# how: ssh-keygen -l -f ed25519-cert.pub"
  echo "bits: $(ssh-keygen -l -f "$out/ed25519-cert.pub" | awk '{print $1}')"
  echo "# how: ssh-keygen -l -E sha256 -f ed25519-cert.pub"
  echo "ssh-sha256: $(ssh-keygen -l -E sha256 -f "$out/ed25519-cert.pub" | awk '{print $2}')"
  echo "# how: ssh-keygen -l -E md5 -f ed25519-cert.pub"
  echo "ssh-md5: $(ssh-keygen -l -E md5 -f "$out/ed25519-cert.pub" | awk '{print $2}')"
  echo "serial: 42"
  echo "key-id: keyhold-test"
  echo "principals: alice,bob"
} >"$out/ed25519-cert.expect"
chmod 644 "$out"/*
echo "wrote $(ls "$out" | wc -l) files to $out"

#!/usr/bin/env bash
# Generates key container test vectors into testdata/keys/ with ssh-keygen and openssl.
#
# Each vector FILE has a sidecar FILE.expect of "field: value" lines:
#   container   keyhold's container name (openssh, pkcs1, sec1, pkcs8, pkcs8-encrypted, pem-encrypted, der,
#               openssh-public, rfc4716, spki)
#   encrypted   yes/no; passphrase: the passphrase when yes (always the fixed test passphrase below)
#   private     yes when the file holds a private key
#   type        the SSH key type; certificate: yes for OpenSSH certificates
#   bits        as `ssh-keygen -l` prints it
#   comment     the comment stored in the file (PEM/DER store none)
#   sha256, md5 `ssh-keygen -l -E sha256` / `-E md5` fingerprints
#   public      the public key line without comment (`TYPE BASE64`)
#   sha1-pkcs8  RSA only: `openssl pkcs8 -nocrypt -topk8 -outform DER | openssl sha1 -c` (AWS/Eucalyptus)
#   md5-spki    RSA only: `openssl pkey -pubout -outform DER | openssl md5 -c` (AWS, imported keys)
#   sha1-spki   RSA only: SHA-1 of the same SubjectPublicKeyInfo (moto)
#   sha256-spki Ed25519 only: SHA-256 of the SubjectPublicKeyInfo, colon hex (moto)
#   error       for files keyhold must refuse: the KeyError case (unsupported-key-type, ...); detail: its argument
#
# Notes: ssh-keygen 9.2 writes Ed25519 in OpenSSH format even with -m PEM/-m PKCS8, so Ed25519 PEM/PKCS#8 vectors
# come from `openssl genpkey`. `ssh-keygen -l` cannot read PKCS#8 Ed25519: those expectations are computed from the
# public key extracted with `openssl pkey -pubout`.
set -euo pipefail
cd "$(dirname "$0")/.."
out=testdata/keys
PW=keyhold-test-passphrase
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

colonhex() { sed 's/^.*= *//'; }

# fingerprints_from_pub PUBFILE -> fields type, bits, sha256, md5, public (+ spki-based ones)
fingerprints_from_pub() {
  local pub=$1 line type b64 sha md5 bits
  line=$(head -1 "$pub")
  type=$(echo "$line" | cut -d' ' -f1)
  b64=$(echo "$line" | cut -d' ' -f2)
  sha=$(ssh-keygen -l -E sha256 -f "$pub")
  md5=$(ssh-keygen -l -E md5 -f "$pub")
  bits=$(echo "$sha" | cut -d' ' -f1)
  case "$type" in
    *-cert-v01@openssh.com)
      echo "type: ${type%-cert-v01@openssh.com}"
      echo "certificate: yes" ;;
    *) echo "type: $type" ;;
  esac
  echo "bits: $bits"
  echo "sha256: $(echo "$sha" | cut -d' ' -f2)"
  echo "md5: $(echo "$md5" | cut -d' ' -f2)"
  echo "public: $type $b64"
  case "$type" in
    ssh-rsa | ssh-rsa-cert-v01@openssh.com)
      local plain="$work/plain.pub"
      # SPKI of the plain key (for a certificate: of the certified key).
      if [[ $type == *cert* ]]; then ssh-keygen -l -f "$pub" >/dev/null; fi
      ssh-keygen -e -m PKCS8 -f "$pub" >"$work/spki.pem"
      echo "md5-spki: $(openssl pkey -pubin -in "$work/spki.pem" -outform DER | openssl md5 -c | colonhex)"
      echo "sha1-spki: $(openssl pkey -pubin -in "$work/spki.pem" -outform DER | openssl sha1 -c | colonhex)"
      ;;
    ssh-ed25519)
      local raw
      raw=$(echo "$b64" | base64 -d | tail -c 32 | xxd -p -c 64)
      echo "sha256-spki: $(echo "302a300506032b6570032100$raw" | xxd -r -p | openssl sha256 -c | colonhex)"
      ;;
  esac
}

# pkcs8_sha1 FILE PASS FORMAT -> sha1-pkcs8 of an RSA private key readable by openssl (FORMAT PEM or DER)
pkcs8_sha1() {
  local passin=()
  [ -n "$2" ] && passin=(-passin "pass:$2")
  openssl pkcs8 -topk8 -nocrypt -inform "$3" -in "$1" "${passin[@]}" -outform DER | openssl sha1 -c | colonhex
}

# expect NAME CONTAINER ENCRYPTED(yes/no) COMMENT PUBFILE [SHA1PKCS8]
expect() {
  local name=$1 container=$2 enc=$3 comment=$4 pub=$5 sha1p8=${6:-}
  {
    echo "container: $container"
    echo "encrypted: $enc"
    [ "$enc" = yes ] && echo "passphrase: $PW"
    case "$container" in openssh-public | rfc4716 | spki) echo "private: no" ;; *) echo "private: yes" ;; esac
    echo "comment: $comment"
    fingerprints_from_pub "$pub"
    if [ -n "$sha1p8" ]; then echo "sha1-pkcs8: $sha1p8"; fi
  } >"$out/$name.expect"
}

# refuse NAME ERROR DETAIL [PASSPHRASE]
refuse() {
  printf 'error: %s\ndetail: %s\n' "$2" "$3" >"$out/$1.expect"
  if [ -n "${4:-}" ]; then echo "passphrase: $4" >>"$out/$1.expect"; fi
}

# An OpenSSH-format or ssh-keygen PEM key's sha1-pkcs8: convert a copy to unencrypted PKCS#8 with ssh-keygen.
sshkeygen_sha1_pkcs8() {
  local file=$1 pass=$2
  cp "$file" "$work/conv"
  ssh-keygen -q -p -m PKCS8 -P "$pass" -N "" -f "$work/conv" >/dev/null
  pkcs8_sha1 "$work/conv" "" PEM
}

# --- ssh-keygen --------------------------------------------------------------------------------------------------
sshkeygen_vectors() { # TYPE-ARGS... ; uses $base
  local base=$1
  shift
  local comment="keyhold vector $base"
  local formats=(openssh)
  [[ $base == *ed25519* ]] || formats+=(pem pkcs8)
  for fmt in "${formats[@]}"; do
    for enc in no yes; do
      local name="$base-$fmt" pass="" margs=() container
      [ "$enc" = yes ] && { name="$name-enc"; pass=$PW; }
      case "$fmt" in
        openssh) container=openssh ;;
        pem) margs=(-m PEM); if [ "$enc" = yes ]; then container=pem-encrypted; elif [[ $base == *rsa* ]]; then container=pkcs1; else container=sec1; fi ;;
        pkcs8) margs=(-m PKCS8); if [ "$enc" = yes ]; then container=pkcs8-encrypted; else container=pkcs8; fi ;;
      esac
      ssh-keygen -q "$@" "${margs[@]}" -N "$pass" -C "$comment" -f "$out/$name"
      mv "$out/$name.pub" "$work/$name.pub"
      local c=$comment
      [ "$fmt" = openssh ] || c=""
      local sha1p8=""
      [[ $base == *rsa* ]] && sha1p8=$(sshkeygen_sha1_pkcs8 "$out/$name" "$pass")
      expect "$name" "$container" "$enc" "$c" "$work/$name.pub" "$sha1p8"
      if [ "$fmt" = openssh ] && [ "$enc" = no ]; then
        cp "$work/$name.pub" "$out/$base.pub"
        expect "$base.pub" openssh-public no "$comment" "$work/$name.pub"
      fi
    done
  done
}

sshkeygen_vectors sshkeygen-ed25519 -t ed25519
sshkeygen_vectors sshkeygen-ecdsa256 -t ecdsa -b 256
sshkeygen_vectors sshkeygen-ecdsa384 -t ecdsa -b 384
sshkeygen_vectors sshkeygen-ecdsa521 -t ecdsa -b 521
sshkeygen_vectors sshkeygen-rsa2048 -t rsa -b 2048
sshkeygen_vectors sshkeygen-rsa3072 -t rsa -b 3072

# Other OpenSSH ciphers (ssh-keygen -Z), and more bcrypt rounds.
for cipher in aes128-ctr aes192-ctr aes256-cbc aes128-gcm@openssh.com aes256-gcm@openssh.com \
  chacha20-poly1305@openssh.com; do
  name="sshkeygen-ed25519-openssh-${cipher%@openssh.com}"
  ssh-keygen -q -t ed25519 -Z "$cipher" -N "$PW" -C "keyhold vector $name" -f "$out/$name"
  mv "$out/$name.pub" "$work/$name.pub"
  expect "$name" openssh yes "keyhold vector $name" "$work/$name.pub"
done
name=sshkeygen-ecdsa256-openssh-rounds32
ssh-keygen -q -t ecdsa -b 256 -a 32 -N "$PW" -C "keyhold vector $name" -f "$out/$name"
mv "$out/$name.pub" "$work/$name.pub"
expect "$name" openssh yes "keyhold vector $name" "$work/$name.pub"

# RFC 4716 and certificates.
for base in sshkeygen-ed25519 sshkeygen-rsa2048; do
  ssh-keygen -e -f "$out/$base.pub" >"$out/$base.rfc4716"
  expect "$base.rfc4716" rfc4716 no "$(sed -n 's/^Comment: "\(.*\)"$/\1/p' "$out/$base.rfc4716")" "$out/$base.pub"
done
ssh-keygen -q -t ed25519 -N "" -C "keyhold vector CA" -f "$work/ca"
for base in sshkeygen-ed25519 sshkeygen-ecdsa256 sshkeygen-rsa2048; do
  cp "$out/$base.pub" "$work/$base.pub"
  ssh-keygen -q -s "$work/ca" -I "keyhold vector" -n vector -V always:forever "$work/$base.pub"
  cp "$work/$base-cert.pub" "$out/$base-cert.pub"
  expect "$base-cert.pub" openssh-public no "keyhold vector $base" "$out/$base-cert.pub"
done

# --- openssl -----------------------------------------------------------------------------------------------------
pub_from_openssl() { # FILE PASS FORMAT -> public line file via ssh-keygen -y (RSA, EC)
  local passarg=()
  cp "$1" "$work/tmp.key"
  chmod 600 "$work/tmp.key"
  ssh-keygen -y -P "$2" -f "$work/tmp.key" >"$work/pub"
  echo "$work/pub"
}
pub_ed25519_openssl() { # FILE PASS -> public line built from the raw key
  local passin=()
  [ -n "$2" ] && passin=(-passin "pass:$2")
  local raw
  raw=$(openssl pkey -in "$1" "${passin[@]}" -pubout -outform DER | tail -c 32 | xxd -p -c 64)
  echo "ssh-ed25519 $( (printf '0000000b'; printf 'ssh-ed25519' | xxd -p; printf '00000020%s' "$raw") | xxd -r -p | base64 -w0)" >"$work/pub"
  echo "$work/pub"
}

o=openssl-rsa2048
openssl genrsa -traditional -out "$out/$o-pkcs1.pem" 2048 2>/dev/null
expect "$o-pkcs1.pem" pkcs1 no "" "$(pub_from_openssl "$out/$o-pkcs1.pem" "")" "$(pkcs8_sha1 "$out/$o-pkcs1.pem" "" PEM)"
openssl rsa -in "$out/$o-pkcs1.pem" -aes256 -traditional -passout "pass:$PW" -out "$out/$o-legacy-enc.pem" 2>/dev/null
expect "$o-legacy-enc.pem" pem-encrypted yes "" "$work/pub" "$(pkcs8_sha1 "$out/$o-pkcs1.pem" "" PEM)"
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$out/$o-pkcs1.pem" -passout "pass:$PW" -out "$out/$o-pkcs8-enc.pem"
expect "$o-pkcs8-enc.pem" pkcs8-encrypted yes "" "$work/pub" "$(pkcs8_sha1 "$out/$o-pkcs1.pem" "" PEM)"
openssl rsa -in "$out/$o-pkcs1.pem" -traditional -outform DER -out "$out/$o-pkcs1.der" 2>/dev/null
expect "$o-pkcs1.der" der no "" "$work/pub" "$(pkcs8_sha1 "$out/$o-pkcs1.pem" "" PEM)"
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$out/$o-pkcs1.pem" -passout "pass:$PW" -outform DER -out "$out/$o-pkcs8-enc.der"
expect "$o-pkcs8-enc.der" der yes "" "$work/pub" "$(pkcs8_sha1 "$out/$o-pkcs1.pem" "" PEM)"

o=openssl-rsa3072
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out "$out/$o-pkcs8.pem" 2>/dev/null
expect "$o-pkcs8.pem" pkcs8 no "" "$(pub_from_openssl "$out/$o-pkcs8.pem" "")" "$(pkcs8_sha1 "$out/$o-pkcs8.pem" "" PEM)"
openssl pkcs8 -topk8 -nocrypt -in "$out/$o-pkcs8.pem" -outform DER -out "$out/$o-pkcs8.der"
expect "$o-pkcs8.der" der no "" "$work/pub" "$(pkcs8_sha1 "$out/$o-pkcs8.pem" "" PEM)"

for curve in P-256:256 P-384:384 P-521:521; do
  o=openssl-ecdsa${curve#*:}
  openssl genpkey -algorithm EC -pkeyopt "ec_paramgen_curve:${curve%:*}" -out "$out/$o-pkcs8.pem"
  expect "$o-pkcs8.pem" pkcs8 no "" "$(pub_from_openssl "$out/$o-pkcs8.pem" "")"
  openssl ec -in "$out/$o-pkcs8.pem" -out "$out/$o-sec1.pem" 2>/dev/null
  expect "$o-sec1.pem" sec1 no "" "$work/pub"
  openssl ec -in "$out/$o-pkcs8.pem" -aes256 -passout "pass:$PW" -out "$out/$o-legacy-enc.pem" 2>/dev/null
  expect "$o-legacy-enc.pem" pem-encrypted yes "" "$work/pub"
  openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$out/$o-pkcs8.pem" -passout "pass:$PW" -out "$out/$o-pkcs8-enc.pem"
  expect "$o-pkcs8-enc.pem" pkcs8-encrypted yes "" "$work/pub"
done
o=openssl-ecdsa256
openssl ec -in "$out/$o-pkcs8.pem" -outform DER -out "$out/$o-sec1.der" 2>/dev/null
expect "$o-sec1.der" der no "" "$(pub_from_openssl "$out/$o-pkcs8.pem" "")"
# `openssl ecparam -genkey` writes an EC PARAMETERS block before the key.
o=openssl-ecdsa384-ecparam
openssl ecparam -name secp384r1 -genkey -out "$out/$o.pem"
expect "$o.pem" sec1 no "" "$(pub_from_openssl "$out/$o.pem" "")"

o=openssl-ed25519
openssl genpkey -algorithm ED25519 -out "$out/$o-pkcs8.pem"
expect "$o-pkcs8.pem" pkcs8 no "" "$(pub_ed25519_openssl "$out/$o-pkcs8.pem" "")"
openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$out/$o-pkcs8.pem" -passout "pass:$PW" -out "$out/$o-pkcs8-enc.pem"
expect "$o-pkcs8-enc.pem" pkcs8-encrypted yes "" "$work/pub"
openssl pkcs8 -topk8 -nocrypt -in "$out/$o-pkcs8.pem" -outform DER -out "$out/$o-pkcs8.der"
expect "$o-pkcs8.der" der no "" "$work/pub"

# --- keys keyhold must refuse ------------------------------------------------------------------------------------
ssh-keygen -q -t dsa -N "" -C "keyhold vector dsa" -f "$out/refuse-dsa-openssh"
mv "$out/refuse-dsa-openssh.pub" "$out/refuse-dsa.pub"
refuse refuse-dsa-openssh unsupported-key-type ssh-dss
refuse refuse-dsa.pub unsupported-key-type ssh-dss
openssl genpkey -genparam -algorithm DSA -pkeyopt dsa_paramgen_bits:2048 -out "$work/dsaparam" 2>/dev/null
openssl genpkey -paramfile "$work/dsaparam" -out "$out/refuse-dsa-pkcs8.pem"
refuse refuse-dsa-pkcs8.pem unsupported-key-type ssh-dss
openssl pkey -in "$out/refuse-dsa-pkcs8.pem" -traditional -out "$out/refuse-dsa-traditional.pem"
refuse refuse-dsa-traditional.pem unsupported-key-type ssh-dss
# A security-key public line (sk-* keys need the hardware token to sign; keyhold cannot hold them).
sk_blob=$( (printf '0000001a'; printf 'sk-ssh-ed25519@openssh.com' | xxd -p; printf '00000020'; head -c 32 /dev/zero | xxd -p -c 64; printf '0000000473736823' ) | xxd -r -p | base64 -w0)
echo "sk-ssh-ed25519@openssh.com $sk_blob keyhold vector sk" >"$out/refuse-sk-ed25519.pub"
refuse refuse-sk-ed25519.pub unsupported-key-type sk-ssh-ed25519@openssh.com
openssl genpkey -algorithm ED448 -out "$out/refuse-ed448-pkcs8.pem"
refuse refuse-ed448-pkcs8.pem unsupported-key-type ED448

# PBES1 with MD5 and DES needs OpenSSL's legacy provider: an unsupported encryption, not a wrong passphrase.
openssl pkcs8 -topk8 -provider legacy -provider default -v1 PBE-MD5-DES -in "$out/openssl-rsa2048-pkcs1.pem" \
  -passout "pass:$PW" -out "$out/refuse-pbes1-md5-des.pem"
refuse refuse-pbes1-md5-des.pem unsupported-cipher PBKDF1 "$PW"

# --- SubjectPublicKeyInfo public keys ----------------------------------------------------------------------------
# `openssl pkey -pubout` of vector keys above; the expected public line comes from the private key.
spki_vectors() {
  for base in openssl-rsa3072 openssl-ecdsa256 openssl-ecdsa384 openssl-ecdsa521; do
    openssl pkey -in "$out/$base-pkcs8.pem" -pubout -out "$out/spki-${base#openssl-}.pem"
    expect "spki-${base#openssl-}.pem" spki no "" "$(pub_from_openssl "$out/$base-pkcs8.pem" "")"
  done
  openssl pkey -in "$out/openssl-ed25519-pkcs8.pem" -pubout -out "$out/spki-ed25519.pem"
  expect spki-ed25519.pem spki no "" "$(pub_ed25519_openssl "$out/openssl-ed25519-pkcs8.pem" "")"
  openssl pkey -in "$out/openssl-ed25519-pkcs8.pem" -pubout -outform DER -out "$out/spki-ed25519.der"
  expect spki-ed25519.der spki no "" "$work/pub"
  openssl pkey -in "$out/openssl-rsa2048-pkcs1.pem" -pubout -outform DER -out "$out/spki-rsa2048.der"
  expect spki-rsa2048.der spki no "" "$(pub_from_openssl "$out/openssl-rsa2048-pkcs1.pem" "")"
  openssl pkey -in "$out/refuse-dsa-pkcs8.pem" -pubout -out "$out/refuse-dsa-spki.pem"
  refuse refuse-dsa-spki.pem unsupported-key-type ssh-dss
  openssl pkey -in "$out/refuse-ed448-pkcs8.pem" -pubout -out "$out/refuse-ed448-spki.pem"
  refuse refuse-ed448-spki.pem unsupported-key-type ED448
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null | openssl pkey -pubout \
    -out "$out/refuse-rsa1024-spki.pem"
  refuse refuse-rsa1024-spki.pem unsupported-key-type "ssh-rsa with 1024 bits (the vault needs at least 2048)"
}
spki_vectors

echo "wrote $(ls "$out" | grep -vc '\.expect$') vectors to $out"

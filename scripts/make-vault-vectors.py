#!/usr/bin/env python3
"""Writes testdata/vault/v2/: a version-2 keyhold vault made byte for byte from fixed randomness, and tampered copies.

An implementation of keyhold-vault(5) that shares no code with keyhold: the Swift tests decode and unlock these files
and check what each .expect file says. Needs PyNaCl (libsodium's Argon2id and XChaCha20-Poly1305):

    python3 -m pip install -q pynacl
    python3 scripts/make-vault-vectors.py

The output is deterministic: running the script again gives the same bytes.
"""

import base64
import hashlib
import os
import struct
import sys

from nacl import bindings, pwhash
from nacl.signing import SigningKey

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "vault", "v2")
MAGIC = b"KHVAULT\x00"
VERSION = 2
PASSPHRASE = b"known answer"
# libsodium's minimum Argon2id limits: the file is a test vector, not a safe vault.
OPSLIMIT = 1
MEMLIMIT = 8192


def fixed(label, size):
    """Deterministic bytes standing in for the random values keyhold draws."""
    out = b""
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(b"keyhold vault vector " + label.encode() + bytes([counter])).digest()
        counter += 1
    return out[:size]


def u8(v):
    return struct.pack(">B", v)


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v & 0xFFFFFFFFFFFFFFFF)


def string(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def colon_hex(digest):
    return ":".join("%02x" % c for c in digest)


def ed25519_key(label):
    seed = fixed("seed " + label, 32)
    public = bytes(SigningKey(seed).verify_key)
    blob = string("ssh-ed25519") + string(public)
    # The private key in the SSH agent wire form: algorithm, public point, seed || public point.
    wire = string("ssh-ed25519") + string(public) + string(seed + public)
    spki = bytes.fromhex("302a300506032b6570032100") + public
    pkcs8 = bytes.fromhex("302e020100300506032b657004220420") + seed
    # In the order keyhold stores them (the cloud formulas an Ed25519 key allows).
    fingerprints = [
        ("sha1-pkcs8", colon_hex(hashlib.sha1(pkcs8).digest())),
        ("md5-spki", colon_hex(hashlib.md5(spki).digest())),
        ("md5-ssh", colon_hex(hashlib.md5(blob).digest())),
        ("sha256-b64", base64.b64encode(hashlib.sha256(blob).digest()).decode()),
        ("sha1-spki", colon_hex(hashlib.sha1(spki).digest())),
        ("sha256-spki-hex", colon_hex(hashlib.sha256(spki).digest())),
    ]
    return blob, wire, fingerprints


def binding(cloud, account, region, key_name, cloud_fp="", key_pair_id="", created=0, flags=0):
    return (
        string(cloud) + string(account) + string(region) + string(key_name) + string(cloud_fp)
        + string(key_pair_id) + u64(created) + u32(flags))


def entry(entry_id, name, blob, comment, created, fingerprints, bindings_):
    out = string(entry_id) + string(name) + string("ssh-ed25519") + string(blob) + string(comment) + u64(created)
    out += u32(len(fingerprints))
    for kind, value in fingerprints:
        out += string(kind) + string(value)
    out += u32(len(bindings_))
    for b in bindings_:
        out += b
    return out


def status_record(entry_id, place, checked, state, matched, instances, key_pair_id, fingerprint, detail, flags,
                  listed, resolves=None):
    out = string(entry_id)
    for part in place:
        out += string(part)
    out += u64(checked) + u8(state) + string(matched) + u32(instances) + string(key_pair_id)
    out += string(fingerprint) + string(detail) + u32(flags) + u64(listed)
    if resolves is None:
        out += u8(0)
    else:
        out += u8(1)
        for part in resolves:
            out += string(part)
    return out


def build(opslimit=OPSLIMIT, memlimit=MEMLIMIT, kdf_id=1):
    salt = fixed("salt", 16)
    wrap_nonce = fixed("wrap nonce", 24)
    seal_nonce = fixed("seal nonce", 24)
    data_key = fixed("data key", 32)

    web_blob, web_wire, web_fps = ed25519_key("web")
    db_blob, db_wire, db_fps = ed25519_key("db")
    old_blob, old_wire, old_fps = ed25519_key("old")
    web_id, db_id, old_id = fixed("id web", 16), fixed("id db", 16), fixed("id old", 16)

    aws = "https://ec2.us-east-1.amazonaws.com"
    entries = [
        entry(web_id, "web", web_blob, "web@example", 1_700_000_000, web_fps, [
            binding(aws, "123456789012", "us-east-1", "web", web_fps[3][1], "key-0123456789abcdef0",
                    1_700_000_000, 1 | 4),
            binding("euca", "", "", "web"),
        ]),
        entry(db_id, "db", db_blob, "db", 1_700_000_100, db_fps, []),
    ]
    retired = [
        entry(old_id, "old", old_blob, "old", 1_600_000_000, old_fps, [binding("euca", "", "eucalyptus", "old")])
        + u64(1_700_000_200) + u64(1_700_000_200 + 30 * 86400) + string("orphaned"),
    ]
    public = u32(len(entries)) + b"".join(entries) + u32(len(retired)) + b"".join(retired)
    status = u32(2) + status_record(
        web_id, (aws, "123456789012", "us-east-1", "web"), 1_700_000_300, 1, "sha256-b64", 0,
        "key-0123456789abcdef0", web_fps[3][1], "", 0, 1_700_000_300) + status_record(
        web_id, ("https://euca.example:8773/", "000000000001", "eucalyptus", "web"), 1_700_000_300, 1, "md5-ssh",
        0xFFFFFFFF, "", web_fps[2][1], "", 0, 1_700_000_300, resolves=("euca", "", "", "web"))

    kdf_block = u32(kdf_id) + u64(opslimit) + u64(memlimit) + salt
    # The Argon2id output seals the data key; the KDF block is bound as associated data.
    passphrase_key = pwhash.argon2id.kdf(32, PASSPHRASE, salt, opslimit=OPSLIMIT, memlimit=MEMLIMIT)
    wrap_ad = MAGIC + u32(VERSION) + kdf_block
    wrapped = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(data_key, wrap_ad, wrap_nonce, passphrase_key)

    secrets = [(web_id, web_wire), (db_id, db_wire), (old_id, old_wire)]
    plain = u32(len(secrets)) + b"".join(string(i) + string(w) for i, w in secrets)
    seal_ad = MAGIC + u32(VERSION) + string(public)
    sealed = bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(plain, seal_ad, seal_nonce, data_key)

    body = kdf_block + wrap_nonce + wrapped + string(public) + string(status) + string(seal_nonce + sealed)
    total = 28 + len(body) + 32
    head = MAGIC + u32(VERSION) + u64(total) + u64(~total)
    return finish(head + body), {"web": web_fps, "db": db_fps, "old": old_fps}


def finish(without_checksum):
    return without_checksum + hashlib.blake2b(without_checksum, digest_size=32).digest()


def rechecksum(data):
    return finish(data[:-32])


def write(name, data, expect):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
    with open(os.path.join(OUT, name + ".expect"), "w") as f:
        f.write(expect)


def main():
    os.makedirs(OUT, exist_ok=True)
    good, fps = build()
    lines = ["passphrase: " + PASSPHRASE.decode(), "version: 2"]
    for name in ["web", "db"]:
        lines.append("key: %s sha256-b64 %s md5-ssh %s" % (name, fps[name][3][1], fps[name][2][1]))
    lines.append("retired: old sha256-b64 %s" % fps["old"][3][1])
    lines.append("expect: unlocks")
    write("good.vault", good, "\n".join(lines) + "\n")

    common = "passphrase: " + PASSPHRASE.decode() + "\n"
    write("wrong-passphrase.vault", good, "passphrase: not the passphrase\nexpect: incorrect passphrase\n")
    # A hostile writer changes the KDF limits and fixes the unkeyed checksum: refused before Argon2id runs.
    write("memlimit-huge.vault", build(memlimit=1 << 40)[0], common + "expect: altered header\n")
    write("opslimit-zero.vault", build(opslimit=0)[0], common + "expect: altered header\n")
    write("kdf-unknown.vault", build(kdf_id=7)[0], common + "expect: altered header\n")
    flipped = bytearray(good)
    flipped[len(good) // 2] ^= 0x01
    write("checksum.vault", bytes(flipped), common + "expect: checksum\n")
    write("truncated.vault", good[: len(good) - 100], common + "expect: truncated\n")
    # The public half changed (a key renamed) with a recomputed checksum: only the seal can tell.
    at = good.index(string("db"))
    renamed = bytearray(good)
    renamed[at + 4:at + 6] = b"dB"
    write("renamed.vault", rechecksum(bytes(renamed)), common + "expect: altered\n")
    write("not-a-vault.vault", b"-----BEGIN OPENSSH PRIVATE KEY-----\n", common + "expect: not a vault\n")


if __name__ == "__main__":
    sys.exit(main())

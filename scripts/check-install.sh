#!/usr/bin/env bash
# Checks that the release installs and runs on its own: `make install` into a scratch DESTDIR, then
#   - no RUNPATH/RPATH in the binary (readelf -d), and every shared library it loads is under /lib or /usr/lib (ldd);
#   - `keyhold --version` runs with an empty environment (env -i), and `keyhold-agent -h` behaves as ssh-agent's -h;
#   - keyhold-pkcs11-helper is installed next to keyhold, stands alone the same way and runs under env -i;
#   - the systemd unit's ExecStart names the PREFIX;
#   - `make uninstall` with the same DESTDIR and PREFIX leaves no file behind.
# Usage: scripts/check-install.sh [PREFIX]   (default /usr/local)
set -euo pipefail
cd "$(dirname "$0")/.."
prefix="${1:-/usr/local}"
tmp="$(mktemp -d "${TMPDIR:-/tmp}/keyhold-install.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-install: FAIL: $*" >&2; exit 1; }

make -s install DESTDIR="$tmp" PREFIX="$prefix" >/dev/null
bin="$tmp$prefix/bin/keyhold"
[ -x "$bin" ] || fail "no binary at $prefix/bin/keyhold"
[ -L "$tmp$prefix/bin/keyhold-agent" ] || fail "no keyhold-agent link"

dynamic="$(readelf -d "$bin")"
if grep -Eq '\((RUNPATH|RPATH)\)' <<<"$dynamic"; then
  fail "the binary carries a search path: $(grep -E 'RUNPATH|RPATH' <<<"$dynamic")"
fi
readelf -n "$bin" | grep -q 'Build ID' || fail "strip removed the build-id note"
readelf -S "$bin" | grep -q '\.symtab' && fail "the binary is not stripped"

libs="$(ldd "$bin" | awk '/=>/ { print $3 } !/=>/ && /^[ \t]*\// { print $1 }')"
[ -n "$libs" ] || fail "ldd listed no libraries"
while read -r lib; do
  case "$lib" in
    /lib/* | /usr/lib/* | /lib64/*) ;;
    *) fail "shared library outside the system folders: $lib" ;;
  esac
done <<<"$libs"
if ldd "$bin" | grep -q 'not found'; then fail "missing shared library: $(ldd "$bin" | grep 'not found')"; fi

version="$(env -i "$bin" --version)" || fail "keyhold --version failed under env -i"
[ -n "$version" ] || fail "keyhold --version printed nothing"

# Invoked as keyhold-agent the binary is `keyhold agent`: -h prints the agent's usage and starts nothing (ssh-agent
# prints it on standard error and exits 1; either stream and status 0 or 1 is accepted).
set +e
agent_out="$(env -i "$tmp$prefix/bin/keyhold-agent" -h 2>&1)"
agent_status=$?
set -e
case "$agent_status" in 0 | 1) ;; *) fail "keyhold-agent -h exited $agent_status" ;; esac
grep -qi 'usage' <<<"$agent_out" || fail "keyhold-agent -h printed no usage: $agent_out"
grep -q -- '-a' <<<"$agent_out" || fail "keyhold-agent -h does not describe the agent's flags"

# The PKCS #11 helper sits next to keyhold (where the agent looks for it), stands alone the same way, and exits 0
# when its input ends before a request.
helper="$tmp$prefix/bin/keyhold-pkcs11-helper"
[ -x "$helper" ] || fail "no keyhold-pkcs11-helper next to keyhold"
readelf -d "$helper" | grep -Eq '\((RUNPATH|RPATH)\)' && fail "the helper carries a search path"
ldd "$helper" | grep -q 'not found' && fail "the helper misses a shared library: $(ldd "$helper" | grep 'not found')"
while read -r lib; do
  case "$lib" in
    /lib/* | /usr/lib/* | /lib64/*) ;;
    *) fail "the helper loads a shared library outside the system folders: $lib" ;;
  esac
done < <(ldd "$helper" | awk '/=>/ { print $3 } !/=>/ && /^[ \t]*\// { print $1 }')
env -i "$helper" </dev/null || fail "keyhold-pkcs11-helper did not exit 0 at the end of its input"

unit="$tmp$prefix/lib/systemd/user/keyhold-agent.service"
[ -f "$unit" ] || fail "no keyhold-agent.service"
grep -qx "ExecStart=$prefix/bin/keyhold agent -D" "$unit" || fail "ExecStart does not name $prefix: $(grep ExecStart "$unit")"
grep -q '@[A-Z]*@' "$tmp$prefix/lib/systemd/user/"* && fail "a unit still holds a template placeholder"

make -s uninstall DESTDIR="$tmp" PREFIX="$prefix" >/dev/null
left="$(find "$tmp" \( -type f -o -type l \) -print)"
[ -z "$left" ] || fail "uninstall left files behind: $left"

echo "check-install: ok ($prefix: $version, $(wc -l <<<"$libs") shared libraries, all from the system)"

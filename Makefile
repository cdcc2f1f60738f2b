# keyhold — build, run, test. `make run` and `make test` work on a fresh Debian 12 machine (they install what
# they need with apt-get/pip when it is missing; run as root or with sudo available).

SWIFT       ?= swift
PREFIX      ?= /usr/local
BIN         := .build/debug/keyhold
RELEASE_BIN := .build/release/keyhold
# The PKCS #11 helper the agent spawns for ssh-add -s; installed next to keyhold, where the agent looks for it.
RELEASE_HELPER := .build/release/keyhold-pkcs11-helper
# The release stands alone: the Swift runtime and Foundation are linked in, so the binary needs only Debian's shared
# libraries (libc, libssl/libcrypto, libsodium, libcurl and what they pull in) and no RUNPATH into the toolchain.
RELEASE_FLAGS := -c release --static-swift-stdlib --disable-local-rpath
STRIP       ?= strip
BINDIR      = $(PREFIX)/bin
MAN1DIR     = $(PREFIX)/share/man/man1
MAN5DIR     = $(PREFIX)/share/man/man5
UNITDIR     = $(PREFIX)/lib/systemd/user
BASHCOMPDIR = $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR  = $(PREFIX)/share/zsh/site-functions
MAN1PAGES   := $(notdir $(wildcard man/*.1))
MAN5PAGES   := $(notdir $(wildcard man/*.5))
UNITS       := $(basename $(notdir $(wildcard contrib/systemd/*.in)))
# libcurl4-openssl-dev: the release links Foundation statically, and FoundationNetworking links -lcurl.
APT_PKGS    := libsodium-dev libssl-dev libcurl4-openssl-dev pkg-config openssh-client openssh-server mandoc groff-base git systemd util-linux
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps build release run test unit-tests lint-man lint-format check-install fuzz bench install \
  uninstall clean format

all: build

# System packages: installed only when one is missing, so a second `make` costs nothing.
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Test peers: moto_server (EC2 endpoint), the aws cli, faketime (passes the sync's grace period end to end), and
# SoftHSM2 with OpenSC's pkcs11-tool (a PKCS #11 token for the helper's tests).
test-deps: deps
	@command -v faketime >/dev/null || { $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime || \
	  { $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime; }; }
	@command -v softhsm2-util >/dev/null && command -v pkcs11-tool >/dev/null || { \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq softhsm2 opensc; }
	@python3 -c 'import moto, flask, flask_cors' 2>/dev/null && command -v moto_server >/dev/null && command -v aws >/dev/null || \
	  python3 -m pip install -q 'moto[server]' awscli

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build $(RELEASE_FLAGS) --product keyhold
	$(SWIFT) build $(RELEASE_FLAGS) --product keyhold-pkcs11-helper

# keyhold's main job: the agent, in the foreground, on the default vault.
run: build
	$(BIN) agent -D

# Warnings in keyhold's own targets fail the test build (Package.swift reads KEYHOLD_WARNINGS_AS_ERRORS; a plain
# `swift build` on a newer compiler only warns). The test run sees the same setting, so it reuses that build.
test: test-deps
	KEYHOLD_WARNINGS_AS_ERRORS=1 $(SWIFT) build --build-tests
	KEYHOLD_WARNINGS_AS_ERRORS=1 $(SWIFT) test --skip-build
	$(MAKE) lint-man lint-format check-install

# Installs the release into a scratch DESTDIR and checks it stands alone, then that uninstall removes every file.
check-install:
	scripts/check-install.sh

lint-format:
	$(SWIFT) format lint --strict --recursive Sources Tests

lint-man:
	@pages=$$(ls man/*.[1-8] 2>/dev/null); if [ -n "$$pages" ]; then \
	  mandoc -T lint -W warning $$pages && for f in $$pages; do groff -mandoc -ww -z $$f || exit 1; done; fi

# Coverage-guided fuzzing of every decoder of untrusted bytes (README, "Development", lists them). FUZZ_TIME seconds.
# The corpus is seeded with the committed vectors first (reseeding is idempotent; libFuzzer keeps what it found).
FUZZ_TIME ?= 60
fuzz: deps
	$(SWIFT) build --scratch-path .build-fuzz --product FuzzDecoders --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address
	scripts/seed-fuzz-corpus.sh .fuzz-corpus
	mkdir -p .fuzz-artifacts
	SWIFT_BACKTRACE=enable=no .build-fuzz/debug/FuzzDecoders -max_total_time=$(FUZZ_TIME) -timeout=10 -print_final_stats=1 \
	  -artifact_prefix=.fuzz-artifacts/ .fuzz-corpus

bench: test-deps
	$(SWIFT) build $(RELEASE_FLAGS)
	.build/release/keyhold-bench

# The binary is stripped (the build-id note stays, so crash reports still match debug symbols); the systemd units
# are filled in with the PREFIX used here.
install: release
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MAN1DIR) $(DESTDIR)$(MAN5DIR) $(DESTDIR)$(UNITDIR) \
	  $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR)
	install -m 0755 $(RELEASE_BIN) $(DESTDIR)$(BINDIR)/keyhold
	$(STRIP) --strip-all $(DESTDIR)$(BINDIR)/keyhold
	ln -sf keyhold $(DESTDIR)$(BINDIR)/keyhold-agent
	install -m 0755 $(RELEASE_HELPER) $(DESTDIR)$(BINDIR)/keyhold-pkcs11-helper
	$(STRIP) --strip-all $(DESTDIR)$(BINDIR)/keyhold-pkcs11-helper
	for f in $(MAN1PAGES); do install -m 0644 man/$$f $(DESTDIR)$(MAN1DIR)/$$f || exit 1; done
	for f in $(MAN5PAGES); do install -m 0644 man/$$f $(DESTDIR)$(MAN5DIR)/$$f || exit 1; done
	for u in $(UNITS); do \
	  sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@PREFIX@|$(PREFIX)|g' contrib/systemd/$$u.in > $(DESTDIR)$(UNITDIR)/$$u \
	    && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; done
	$(RELEASE_BIN) --generate-completion-script bash > $(DESTDIR)$(BASHCOMPDIR)/keyhold
	$(RELEASE_BIN) --generate-completion-script zsh > $(DESTDIR)$(ZSHCOMPDIR)/_keyhold

# Removes exactly what install put there; shared folders such as $(PREFIX)/bin stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/keyhold $(DESTDIR)$(BINDIR)/keyhold-agent $(DESTDIR)$(BINDIR)/keyhold-pkcs11-helper
	for f in $(MAN1PAGES); do rm -f $(DESTDIR)$(MAN1DIR)/$$f; done
	for f in $(MAN5PAGES); do rm -f $(DESTDIR)$(MAN5DIR)/$$f; done
	for u in $(UNITS); do rm -f $(DESTDIR)$(UNITDIR)/$$u; done
	rm -f $(DESTDIR)$(BASHCOMPDIR)/keyhold $(DESTDIR)$(ZSHCOMPDIR)/_keyhold

format:
	$(SWIFT) format --in-place --recursive Sources Tests

clean:
	rm -rf .build .build-*

# keyhold — build, run, test. `make run` and `make test` work on a fresh Debian 12 machine (they install what
# they need with apt-get/pip when it is missing; run as root or with sudo available).

SWIFT       ?= swift
PREFIX      ?= /usr/local
BIN         := .build/debug/keyhold
RELEASE_BIN := .build/release/keyhold
APT_PKGS    := libsodium-dev libssl-dev pkg-config openssh-client openssh-server mandoc groff-base git systemd util-linux
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps test-deps build release run test unit-tests lint-man lint-format fuzz bench install clean format

all: build

# System packages: installed only when one is missing, so a second `make` costs nothing.
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Test peers: moto_server (EC2 endpoint) and the aws cli.
test-deps: deps
	@python3 -c 'import moto, flask, flask_cors' 2>/dev/null && command -v moto_server >/dev/null && command -v aws >/dev/null || \
	  python3 -m pip install -q 'moto[server]' awscli

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# keyhold's main job: the agent, in the foreground, on the default vault.
run: build
	$(BIN) agent -D

test: test-deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(MAKE) lint-man lint-format

lint-format:
	$(SWIFT) format lint --strict --recursive Sources Tests

lint-man:
	@pages=$$(ls man/*.[1-8] 2>/dev/null); if [ -n "$$pages" ]; then \
	  mandoc -T lint -W warning $$pages && for f in $$pages; do groff -mandoc -ww -z $$f || exit 1; done; fi

# Coverage-guided fuzzing of the decoders (SSH wire, agent frames, key files, vault). FUZZ_TIME seconds. The corpus
# is seeded with the committed vectors first (reseeding is idempotent; libFuzzer keeps what it found).
FUZZ_TIME ?= 60
fuzz: deps
	$(SWIFT) build --scratch-path .build-fuzz --product FuzzDecoders --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address
	scripts/seed-fuzz-corpus.sh .fuzz-corpus
	mkdir -p .fuzz-artifacts
	SWIFT_BACKTRACE=enable=no .build-fuzz/debug/FuzzDecoders -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
	  -artifact_prefix=.fuzz-artifacts/ .fuzz-corpus

bench: test-deps
	$(SWIFT) build -c release
	.build/release/keyhold-bench

install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5
	install -m 0755 $(RELEASE_BIN) $(DESTDIR)$(PREFIX)/bin/keyhold
	ln -sf keyhold $(DESTDIR)$(PREFIX)/bin/keyhold-agent
	for f in man/*.1; do install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/man/man1/; done
	for f in man/*.5; do [ -e $$f ] && install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/man/man5/ || true; done
	if [ -d contrib/systemd ] && ls contrib/systemd/*.s* >/dev/null 2>&1; then \
	  install -d $(DESTDIR)$(PREFIX)/lib/systemd/user; \
	  install -m 0644 contrib/systemd/keyhold-agent.* $(DESTDIR)$(PREFIX)/lib/systemd/user/; fi
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions
	$(RELEASE_BIN) --generate-completion-script bash > $(DESTDIR)$(PREFIX)/share/bash-completion/completions/keyhold
	$(RELEASE_BIN) --generate-completion-script zsh > $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_keyhold

format:
	$(SWIFT) format --in-place --recursive Sources Tests

clean:
	rm -rf .build .build-*

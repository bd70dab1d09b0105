# memrun: see README.md.  'make' builds build/memrun; 'make demo' and
# 'make check' first install what they need (scripts/install-deps.sh).

VERSION := 0.1.0

PREFIX ?= /usr/local
# The administrator's files (policy.conf, system profiles) live in
# SYSCONFDIR/memrun, /etc/memrun unless the build says otherwise; never
# a place the caller chooses.
SYSCONFDIR ?= /etc
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
PROFILEDIR ?= $(DATADIR)/memrun/profiles
LIBDIR ?= $(PREFIX)/lib
PROBEDIR ?= $(LIBDIR)/memrun
BASH_COMPDIR ?= $(DATADIR)/bash-completion/completions
ZSH_COMPDIR ?= $(if $(filter /usr,$(PREFIX)),$(DATADIR)/zsh/vendor-completions,$(DATADIR)/zsh/site-functions)
FISH_COMPDIR ?= $(DATADIR)/fish/vendor_completions.d
EXAMPLEDIR ?= $(DATADIR)/doc/memrun/examples
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
# SANITIZE=1: memrun under ASan and UBSan, the probe under UBSan (ASan
# must be the first library of a process and reserves terabytes of address
# space, so it cannot ride into arbitrary jobs).  Its own build directory.
# VALGRIND=1: the tests run memrun and the unit tests under valgrind's
# memcheck (tests/valgrind.sh); an -O1 build, its own directory too.
ifeq ($(SANITIZE),1)
BUILD := build/sanitize
else ifeq ($(VALGRIND),1)
BUILD := build/valgrind
else
BUILD := build
endif

# Hardening as Debian builds: fortify, stack protector, PIE, full RELRO.
ifeq ($(VALGRIND),1)
CFLAGS ?= -O1 -g
endif
CFLAGS ?= -O2 -g
MEMRUN_CFLAGS := -std=gnu11 -D_GNU_SOURCE \
	-Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wformat=2 \
	-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
	-include $(BUILD)/config.h
MEMRUN_LDFLAGS := -pie -Wl,-z,relro,-z,now -Wl,--as-needed

PROBE_SANITIZE :=
ifeq ($(SANITIZE),1)
MEMRUN_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer -U_FORTIFY_SOURCE
MEMRUN_LDFLAGS += -fsanitize=address,undefined
PROBE_SANITIZE := -fsanitize=undefined -fno-sanitize-recover=all
endif
# clang, unlike gcc, warns of a positional initializer that leaves out
# trailing fields, as the settings table's rows do by design.
CLANG_CFLAGS := -Wno-missing-field-initializers
# FUZZ=1: the objects 'make fuzz' links its harnesses with (clang with
# libFuzzer's coverage, ASan and UBSan), in its own directory.
ifeq ($(FUZZ),1)
MEMRUN_CFLAGS += $(CLANG_CFLAGS) -fsanitize=fuzzer-no-link,address,undefined \
	-fno-sanitize-recover=all -fno-omit-frame-pointer -U_FORTIFY_SOURCE
MEMRUN_LDFLAGS += -fsanitize=fuzzer,address,undefined
endif
# What the tests need to know of this build.
TEST_ENV := MEMRUN_BUILD=$(BUILD) MEMRUN_SANITIZED=$(if $(filter 1,$(SANITIZE)),1,0) \
	MEMRUN_VALGRIND=$(if $(filter 1,$(VALGRIND)),1,0)
# VALGRIND=1: the memruns the tests run, this build's and the site build's,
# each under tests/valgrind.sh (named memrun, as completions know it).
VALGRIND_WRAPPER := $(if $(filter 1,$(VALGRIND)),$(BUILD)/memcheck/memrun $(BUILD)/site/memcheck/memrun)

# memrun is linked static-pie, with libc, libcap and libseccomp (the
# filter of --lock-limits) in the binary: the cheapest start a launcher
# can have (BENCHMARKS.md).  A static program cannot load libsystemd,
# which the systemd cgroup manager and the journal need, so beside it
# comes memrun-systemd, the same program linked dynamically against libc
# only (libcap's and libseccomp's archives linked in, libsystemd loaded
# with dlopen when a job needs it: src/libsystemd.c).  Where systemd is
# the init system, systemd-journald runs or a policy exists, memrun hands
# the run over to it at its first instruction (src/handover.c, written
# for x86-64).
# STATIC=0 builds one dynamically linked memrun instead, as sanitizer,
# valgrind and fuzzing builds and other architectures do.  The probe is
# always a shared library.
ifneq ($(filter x86_64-%,$(shell $(CC) -dumpmachine 2>/dev/null)),)
STATIC ?= 1
else
STATIC ?= 0
endif
ifneq ($(filter 1,$(SANITIZE) $(VALGRIND) $(FUZZ)),)
STATIC := 0
endif
LIBS_PKGS := libcap libseccomp
# Headers only: libsystemd is dlopen'ed.
HEADER_PKGS := libsystemd
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(LIBS_PKGS) $(HEADER_PKGS) 2>/dev/null)
# The dynamically linked memrun: libcap's and libseccomp's archives are
# linked in, as their few functions cost nothing at a start and a shared
# library the loader's opening, mapping and relocating (0.05 to 0.1 ms a
# launch for libcap, BENCHMARKS.md).
PKG_LIBS = -Wl,-Bstatic $(shell $(PKG_CONFIG) --libs $(LIBS_PKGS) 2>/dev/null) -Wl,-Bdynamic
STATIC_PKG_LIBS = $(shell $(PKG_CONFIG) --static --libs $(LIBS_PKGS) 2>/dev/null)
# The hand-over runs before glibc has relocated the program or set up a
# thread pointer: no stack protector, no call the compiler would add.
HANDOVER_CFLAGS := -ffreestanding -fno-builtin -fno-stack-protector \
	-fno-tree-loop-distribute-patterns -fno-sanitize=all

SRCS := $(wildcard src/*.c)
HEADERS := $(wildcard src/*.h src/probe/*.h)
LIB_SRCS := $(filter-out src/main.c src/handover.c,$(SRCS))
LIB_OBJS := $(LIB_SRCS:src/%.c=$(BUILD)/obj/%.o)
UNIT_TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(wildcard tests/unit/test_*.c))
HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(wildcard tests/helpers/*.c)) \
	$(BUILD)/tests/helpers/static_alloc_until_null \
	$(patsubst tests/helpers/%.cpp,$(BUILD)/tests/helpers/%,$(wildcard tests/helpers/*.cpp))

.PHONY: FORCE all deps demo check check-unit check-integration check-vm site-build bench \
	bench-systemd fuzz lint install install-shared-host uninstall format clean

all: $(BUILD)/memrun $(BUILD)/libmemrun-probe.so $(if $(filter 1,$(STATIC)),$(BUILD)/memrun-systemd)

$(BUILD)/.pkgcheck:
	@$(PKG_CONFIG) --exists $(LIBS_PKGS) $(HEADER_PKGS) || { \
	  echo "memrun: the build needs $(LIBS_PKGS) $(HEADER_PKGS) (Debian: libcap-dev libseccomp-dev libsystemd-dev); run 'make deps' or scripts/install-deps.sh build" >&2; \
	  exit 1; }
	@mkdir -p $(@D) && touch $@

# Paths compiled in, and how memrun is linked; rewritten only when they
# change, so 'make install PREFIX=/usr' rebuilds what must know the new
# place, and 'make STATIC=0' relinks a static memrun.  The build tree's own
# place too: memrun run from it, uninstalled, finds the tree's profiles.
$(BUILD)/config.h: FORCE
	@mkdir -p $(@D)
	@printf '#define MEMRUN_VERSION "%s"\n#define PROFILE_DIR "%s"\n#define PROBE_LIBRARY "%s"\n' \
		'$(VERSION)' '$(PROFILEDIR)' '$(PROBEDIR)/libmemrun-probe.so' >$@.new
	@printf '#define MEMRUN_SYSTEMD "%s"\n' '$(PROBEDIR)/memrun-systemd' >>$@.new
	@printf '/* STATIC=%s: a change relinks memrun */\n' '$(STATIC)' >>$@.new
	@printf '#define BUILD_TREE_DIR "%s"\n#define SOURCE_TREE_PROFILE_DIR "%s"\n' \
		'$(abspath $(BUILD))' '$(CURDIR)/profiles' >>$@.new
	@printf '#define SYSCONFDIR "%s"\n#define SYSTEM_PROFILE_DIR "%s"\n#define POLICY_FILE "%s"\n' \
		'$(SYSCONFDIR)' '$(SYSCONFDIR)/memrun/profiles' '$(SYSCONFDIR)/memrun/policy.conf' >>$@.new
	@cmp -s $@.new $@ && rm -f $@.new || mv -f $@.new $@

FORCE:

$(BUILD)/obj/%.o: src/%.c $(HEADERS) $(BUILD)/config.h $(BUILD)/.pkgcheck
	@mkdir -p $(@D)
	$(CC) $(MEMRUN_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) -c -o $@ $<

$(BUILD)/libmemrun.a: $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

ifeq ($(STATIC),1)
# The static memrun: its entry point is the hand-over; libsystemd.c and
# userdb.c are built for it with MEMRUN_STATIC (no libsystemd, no NSS
# modules).  The linker's warnings that getpwnam and the like need glibc's
# shared libraries at run time are about NSS modules, which the static
# memrun never loads: it reads /etc/passwd and /etc/group (src/userdb.c).
$(BUILD)/obj/handover.o: src/handover.c src/handover.h $(BUILD)/config.h
	@mkdir -p $(@D)
	$(CC) $(MEMRUN_CFLAGS) $(CFLAGS) $(HANDOVER_CFLAGS) -c -o $@ $<

$(BUILD)/obj/%-static.o: src/%.c $(HEADERS) $(BUILD)/config.h $(BUILD)/.pkgcheck
	@mkdir -p $(@D)
	$(CC) $(MEMRUN_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) -DMEMRUN_STATIC -c -o $@ $<

$(BUILD)/memrun: $(BUILD)/obj/handover.o $(BUILD)/obj/main.o $(BUILD)/obj/libsystemd-static.o \
		$(BUILD)/obj/userdb-static.o $(BUILD)/libmemrun.a
	$(CC) $(MEMRUN_LDFLAGS) -static-pie -Wl,-e,memrun_entry $(LDFLAGS) -o $@ $^ \
		$(STATIC_PKG_LIBS)

$(BUILD)/memrun-systemd: $(BUILD)/obj/main.o $(BUILD)/libmemrun.a
	$(CC) $(MEMRUN_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
else
$(BUILD)/memrun: $(BUILD)/obj/main.o $(BUILD)/libmemrun.a
	$(CC) $(MEMRUN_LDFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)
endif

# The allocation probe, preloaded into the job: no dependency but libc.
$(BUILD)/libmemrun-probe.so: src/probe/memrun-probe.c src/probe/probe-abi.h
	@mkdir -p $(@D)
	$(CC) $(filter-out -fPIE -include $(BUILD)/config.h -fsanitize=address%,$(MEMRUN_CFLAGS)) \
		$(CFLAGS) $(PROBE_SANITIZE) -fPIC -fvisibility=hidden -shared -Wl,-z,relro,-z,now \
		-o $@ $<

# Unit tests: one cmocka program per module, linked with the modules.
$(BUILD)/tests/test_%: tests/unit/test_%.c $(BUILD)/libmemrun.a
	@mkdir -p $(@D)
	$(CC) $(MEMRUN_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) -Isrc -Wno-missing-prototypes \
		$$($(PKG_CONFIG) --cflags cmocka) $(MEMRUN_LDFLAGS) $(LDFLAGS) -o $@ $< \
		$(BUILD)/libmemrun.a $$($(PKG_CONFIG) --libs cmocka) $(PKG_LIBS)

# Small programs the integration tests run under memrun; static_* are
# linked statically (what the probe cannot see).
$(BUILD)/tests/helpers/static_%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -static -o $@ $<

$(BUILD)/tests/helpers/asan_%: tests/helpers/asan_%.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -fsanitize=address -o $@ $<

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O1 -Wall -Wextra -Werror -pthread -o $@ $<

$(BUILD)/tests/helpers/%: tests/helpers/%.cpp
	@mkdir -p $(@D)
	$(CXX) -std=gnu++17 -O1 -Wall -Wextra -Werror -o $@ $<

deps:
	@scripts/install-deps.sh build check

demo:
	@scripts/install-deps.sh build demo
	@$(MAKE) --no-print-directory all
	@scripts/demo.sh

# A second memrun for the tests of the administrator's files
# (tests/integration/test_policy.sh): the same source built with its
# SYSCONFDIR inside the build tree, where those tests write policy.conf and
# system profiles, root-owned as memrun demands.
site-build:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/site SYSCONFDIR=$(abspath $(BUILD))/site/etc all

check:
	@scripts/install-deps.sh build check $(if $(VALGRIND_WRAPPER),valgrind)
	@$(MAKE) --no-print-directory all $(UNIT_TESTS) $(HELPERS) site-build $(VALGRIND_WRAPPER)
	@$(TEST_ENV) tests/run.sh

check-unit: $(UNIT_TESTS)
	@$(TEST_ENV) tests/run.sh unit

check-integration: all $(HELPERS) site-build $(VALGRIND_WRAPPER)
	@$(TEST_ENV) tests/run.sh integration

%/memcheck/memrun: tests/valgrind.sh
	@mkdir -p $(@D)
	@printf '#!/bin/sh\n# memrun under memcheck, for make check VALGRIND=1\nexec "%s" "%s" "%s" "$$@"\n' \
		'$(CURDIR)/tests/valgrind.sh' '$(abspath $(BUILD))/valgrind-logs' \
		'$(abspath $*)/memrun' >$@
	@chmod 0755 $@

# The launch is timed for this build and, beside it, memrun-systemd, the
# same source linked dynamically (what dynamic linking costs; BENCHMARKS.md).
bench:
	@scripts/install-deps.sh build bench
	@$(MAKE) --no-print-directory all
	@MEMRUN=$(BUILD)/memrun $(if $(filter 1,$(STATIC)),MEMRUN_DYNAMIC=$(BUILD)/memrun-systemd) \
		scripts/bench.sh

# The systemd manager against systemd-run --scope, in the test VM booted
# with systemd as PID 1 (tests/vm/run-in-vm.sh --systemd).
bench-systemd:
	@scripts/install-deps.sh build bench vm
	@$(MAKE) --no-print-directory all
	@MEMRUN=$(BUILD)/memrun scripts/bench-systemd.sh

# libFuzzer over the parsers of what memrun reads but does not write
# (tests/fuzz/fuzz_*.c), FUZZ_SECONDS each on a copy of its seeds, built
# with clang, ASan and UBSan in $(BUILD)/fuzz (scripts/fuzz.sh).
FUZZ_SECONDS ?= 60
FUZZ_HARNESSES := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

fuzz:
	@scripts/install-deps.sh build fuzz
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/fuzz FUZZ=1 SANITIZE=0 VALGRIND=0 CC=clang \
		CFLAGS='-O1 -g' $(FUZZ_HARNESSES:%=$(BUILD)/fuzz/%)
	@scripts/fuzz.sh $(BUILD)/fuzz $(FUZZ_SECONDS) $(FUZZ_HARNESSES)

$(BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(BUILD)/libmemrun.a
	$(CC) $(MEMRUN_CFLAGS) $(CFLAGS) $(PKG_CFLAGS) -Isrc $(MEMRUN_LDFLAGS) $(LDFLAGS) \
		-o $@ $< $(BUILD)/libmemrun.a $(PKG_LIBS)

# cppcheck and clang-tidy over src/ with the build's flags (scripts/lint.sh,
# .clang-tidy, .cppcheck-suppressions); any finding fails.
lint: $(BUILD)/config.h
	@scripts/install-deps.sh build lint
	@CONFIG_H=$(BUILD)/config.h CFLAGS='$(MEMRUN_CFLAGS) $(CLANG_CFLAGS) $(PKG_CFLAGS)' \
		PROBE_CFLAGS='$(filter-out -fPIE -include $(BUILD)/config.h,$(MEMRUN_CFLAGS)) $(CLANG_CFLAGS)' \
		scripts/lint.sh

install: all
	install -D -m 0755 $(BUILD)/memrun $(DESTDIR)$(BINDIR)/memrun
	install -D -m 0644 $(BUILD)/libmemrun-probe.so $(DESTDIR)$(PROBEDIR)/libmemrun-probe.so
	$(if $(filter 1,$(STATIC)),install -D -m 0755 $(BUILD)/memrun-systemd $(DESTDIR)$(PROBEDIR)/memrun-systemd)
	install -d $(DESTDIR)$(PROFILEDIR)
	install -m 0644 profiles/*.conf $(DESTDIR)$(PROFILEDIR)/
	install -D -m 0644 man/memrun.1 $(DESTDIR)$(MANDIR)/man1/memrun.1
	install -D -m 0644 man/memrun.profile.5 $(DESTDIR)$(MANDIR)/man5/memrun.profile.5
	install -D -m 0644 man/memrun.policy.5 $(DESTDIR)$(MANDIR)/man5/memrun.policy.5
	install -D -m 0644 completions/memrun.bash $(DESTDIR)$(BASH_COMPDIR)/memrun
	install -D -m 0644 completions/_memrun $(DESTDIR)$(ZSH_COMPDIR)/_memrun
	install -D -m 0644 completions/memrun.fish $(DESTDIR)$(FISH_COMPDIR)/memrun.fish
	install -D -m 0644 examples/memrun-db.service $(DESTDIR)$(EXAMPLEDIR)/memrun-db.service

# A shared host's install, as root: memrun with the file capabilities
# cap_sys_resource (what an allowed system profile asks beyond the caller:
# a lower oom_score_adj, a raised hard limit) and cap_setpcap (the job's
# bounding set and securebits), permitted and never effective (memrun(1),
# ELEVATED INSTALL), on memrun-systemd as well (the same program, which
# memrun hands a run to where systemd runs), and an example policy where
# the administrator has none.  SETCAP=: leaves the capabilities to a package's maintainer script.
SETCAP ?= setcap
FILE_CAPS := cap_setpcap,cap_sys_resource=p
install-shared-host: install
	@scripts/install-deps.sh shared-host
	$(SETCAP) $(FILE_CAPS) $(DESTDIR)$(BINDIR)/memrun
	$(if $(filter 1,$(STATIC)),$(SETCAP) $(FILE_CAPS) $(DESTDIR)$(PROBEDIR)/memrun-systemd)
	install -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/memrun $(DESTDIR)$(SYSCONFDIR)/memrun/profiles
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/memrun/policy.conf ]; then \
		echo "memrun: $(DESTDIR)$(SYSCONFDIR)/memrun/policy.conf exists: kept as it is"; \
	else \
		echo "install -m 0644 examples/policy.conf $(DESTDIR)$(SYSCONFDIR)/memrun/policy.conf"; \
		install -m 0644 examples/policy.conf $(DESTDIR)$(SYSCONFDIR)/memrun/policy.conf; \
	fi

# The administrator's policy and profiles stay.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/memrun $(DESTDIR)$(PROBEDIR)/libmemrun-probe.so \
		$(DESTDIR)$(PROBEDIR)/memrun-systemd
	-rmdir $(DESTDIR)$(PROBEDIR) 2>/dev/null
	rm -f $(patsubst profiles/%,$(DESTDIR)$(PROFILEDIR)/%,$(wildcard profiles/*.conf))
	-rmdir $(DESTDIR)$(PROFILEDIR) $(DESTDIR)$(DATADIR)/memrun 2>/dev/null
	rm -f $(DESTDIR)$(MANDIR)/man1/memrun.1 $(DESTDIR)$(MANDIR)/man5/memrun.profile.5 \
		$(DESTDIR)$(MANDIR)/man5/memrun.policy.5
	rm -f $(DESTDIR)$(BASH_COMPDIR)/memrun $(DESTDIR)$(ZSH_COMPDIR)/_memrun \
		$(DESTDIR)$(FISH_COMPDIR)/memrun.fish
	rm -f $(DESTDIR)$(EXAMPLEDIR)/memrun-db.service
	-rmdir $(DESTDIR)$(EXAMPLEDIR) $(DESTDIR)$(DATADIR)/doc/memrun 2>/dev/null

format:
	clang-format -i src/*.c src/*.h tests/unit/*.c tests/helpers/*.c

clean:
	rm -rf $(BUILD)

include tests/vm/vm.mk

# ngx_kot: build, test and demo on Debian bookworm.  See README.md.

SHELL       := /bin/bash
NGX_SRC     ?= /usr/share/nginx/src
NGINX       ?= /usr/sbin/nginx
BUILD       := build
NGX_BUILD   := $(BUILD)/nginx
MODULE      := $(NGX_BUILD)/objs/ngx_http_kot_module.so
KOTCTL      := $(BUILD)/kotctl

CC          ?= cc
WARN        := -Wall -Wextra -Werror
CFLAGS      ?= -O2 -g
KOT_CFLAGS  := $(CFLAGS) $(CPPFLAGS) $(WARN) -std=gnu99 -D_GNU_SOURCE -fPIC \
               -Ingx_kot_module/kot
LIBS        := -lhiredis -ljansson -lcrypto -lz -lqrencode
# libcurl: kotctl notify posts events; the module never links it
CTL_LIBS    := $(LIBS) -lcurl

CORE_SRCS   := $(wildcard ngx_kot_module/kot/*.c)
CORE_HDRS   := $(wildcard ngx_kot_module/kot/*.h)
CORE_OBJS   := $(CORE_SRCS:ngx_kot_module/kot/%.c=$(BUILD)/core/%.o)
MOD_SRCS    := $(wildcard ngx_kot_module/*.c ngx_kot_module/*.h)
CTL_SRCS    := $(wildcard admin/*.c)
CTL_HDRS    := $(wildcard admin/*.h)
UNIT_SRCS   := $(wildcard t/unit/test_*.c)
UNIT_BINS   := $(UNIT_SRCS:t/unit/test_%.c=$(BUILD)/unit/%)
BENCH_SRCS  := $(wildcard bench/*.c)
BENCH_BINS  := $(BENCH_SRCS:bench/%.c=$(BUILD)/bench/%)
FUZZ_SRCS   := $(wildcard t/fuzz/fuzz_*.c)
FUZZ_BINS   := $(FUZZ_SRCS:t/fuzz/fuzz_%.c=$(BUILD)/fuzz/%)
CONSOLE     := $(shell find admin/ui -type f)

# The project's version, defined once: the top entry of debian/changelog
# (a native package: its version is the project's).  kotctl --version;
# the module's kot_build_info and record 0's service.version, through
# nginx's configure (config); "make -s version" for debian/rules.
# Only "package (version) ...": a first line without a version in
# parentheses gives none, not a word of it (t/build_version.t).
KOT_VERSION := $(shell sed -n '1s/^[^ ]* [(]\([^()]*\)[)].*/\1/p' \
                 debian/changelog 2>/dev/null)
ifeq ($(KOT_VERSION),)
$(error debian/changelog: no version in its first line)
endif
VERSION_DEF := -DKOT_VERSION='"$(KOT_VERSION)"'

PROVE_ARGS  ?=
TESTS       ?= t/*.t

.PHONY: all deps deps-test deps-bench module kotctl unit test demo \
        demo-stop bench fuzz install clean check-memory deb version

all: deps module kotctl

# Debian packages by purpose (tools/deps): "deps" what the build and the
# runtime need; test and bench add their own tools.
deps:
	@tools/deps build

deps-test:
	@tools/deps test

deps-bench:
	@tools/deps bench

module: $(MODULE)

kotctl: $(KOTCTL)

version:
	@echo $(KOT_VERSION)

# nginx's own configure, with Debian's flags, so that the stock binary
# accepts the module; config takes the version from KOT_VERSION.  The
# build log is kept: a test checks it has no warnings.
$(NGX_BUILD)/objs/Makefile: config debian/changelog
	rm -rf $(NGX_BUILD)
	mkdir -p $(BUILD)
	cp -r $(NGX_SRC) $(NGX_BUILD)
	cd $(NGX_BUILD) && KOT_VERSION='$(KOT_VERSION)' bash -c '. ./conf_flags \
	    && ./configure "$${NGX_CONF_FLAGS[@]}" --with-compat \
	    --with-cc-opt="$(WARN) -O2 -g" \
	    --add-dynamic-module=$(CURDIR)' >$(CURDIR)/$(BUILD)/configure.log

# (without our make's flags: "make -s" would leave the log empty)
$(MODULE): $(NGX_BUILD)/objs/Makefile $(MOD_SRCS) $(CORE_SRCS) $(CORE_HDRS)
	cd $(NGX_BUILD) && MAKEFLAGS= $(MAKE) -f objs/Makefile modules 2>&1 \
	    | tee $(CURDIR)/$(BUILD)/module-build.log; \
	    exit $${PIPESTATUS[0]}

$(BUILD)/core/%.o: ngx_kot_module/kot/%.c $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(KOT_CFLAGS) -c $< -o $@

$(KOTCTL): $(CTL_SRCS) $(CTL_HDRS) $(CORE_OBJS) debian/changelog
	$(CC) $(KOT_CFLAGS) $(VERSION_DEF) -Iadmin $(CTL_SRCS) $(CORE_OBJS) \
	    $(LDFLAGS) $(CTL_LIBS) -o $@

$(BUILD)/unit/%: t/unit/test_%.c t/unit/tap.h $(CORE_OBJS)
	@mkdir -p $(@D)
	$(CC) $(KOT_CFLAGS) -It/unit $< $(CORE_OBJS) $(LIBS) -o $@

# kotctl's pure parts, tested without Redis
$(BUILD)/unit/kotctl_%: t/unit/test_kotctl_%.c t/unit/tap.h admin/kotctl_%.c \
                        admin/kotctl_%.h
	@mkdir -p $(@D)
	$(CC) $(KOT_CFLAGS) -It/unit -Iadmin $< admin/kotctl_$*.c -o $@

unit: $(UNIT_BINS)

# Every test: the C unit tests, then the Perl suites against real nginx
# and Redis.  One prove run, so the last lines are its summary.
test: all unit deps-test
	prove $(PROVE_ARGS) $(UNIT_BINS) $(TESTS)

demo: all
	@tools/demo start

demo-stop:
	@tools/demo stop

# Benchmarks measure; they are not tests.  See bench/README.md.
$(BUILD)/bench/%: bench/%.c $(CORE_OBJS) $(CORE_HDRS)
	@mkdir -p $(@D)
	$(CC) $(KOT_CFLAGS) $< $(CORE_OBJS) $(LIBS) -o $@

# The timed run, then the instructions a request costs each front's
# worker under callgrind: the figure that the machine's noise leaves alone
bench: all deps-bench $(BENCH_BINS)
	@bench/run
	@CALLGRIND=$(BUILD)/bench/callgrind bench/run

# The whole Perl suite against the module built with ASan and UBSan, in
# its own build directory: stock nginx loads it with the sanitizers'
# runtimes preloaded (t/lib/KotTest.pm passes KOT_TEST_PRELOAD to nginx
# only, not to perl, redis or kotctl).  Each nginx process logs to
# build/asan/log/; any report there fails the target.  Suppressions, each
# with its reason: t/asan/lsan.supp.
ASAN_BUILD  := $(BUILD)/asan
ASAN_NGX    := $(ASAN_BUILD)/nginx
ASAN_MODULE := $(ASAN_NGX)/objs/ngx_http_kot_module.so
ASAN_FLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer
ASAN_LIBS   := /usr/lib/x86_64-linux-gnu/libasan.so.8 \
               /usr/lib/x86_64-linux-gnu/libubsan.so.1 \
               $(CURDIR)/$(ASAN_BUILD)/nodlclose.so
# odr: nginx's and the module's copies of nginx's globals are one object.
# No frame pointers in nginx and OpenSSL: only the slow unwinder shows who
# allocated.  A leak or error never changes an exit code (nginx -t's is
# tested); the reports in build/asan/log decide.
ASAN_OPTS   := detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=0
ASAN_OPTS   := $(ASAN_OPTS):disable_coredump=1:detect_odr_violation=0
ASAN_OPTS   := $(ASAN_OPTS):fast_unwind_on_malloc=0:malloc_context_size=40

$(ASAN_NGX)/objs/Makefile: config debian/changelog
	rm -rf $(ASAN_NGX)
	mkdir -p $(ASAN_BUILD)
	cp -r $(NGX_SRC) $(ASAN_NGX)
	cd $(ASAN_NGX) && KOT_VERSION='$(KOT_VERSION)' bash -c '. ./conf_flags \
	    && ./configure "$${NGX_CONF_FLAGS[@]}" --with-compat \
	    --with-cc-opt="$(WARN) -O1 -g $(ASAN_FLAGS)" \
	    --with-ld-opt="$(ASAN_FLAGS)" \
	    --add-dynamic-module=$(CURDIR)' >$(CURDIR)/$(ASAN_BUILD)/configure.log

$(ASAN_MODULE): $(ASAN_NGX)/objs/Makefile $(MOD_SRCS) $(CORE_SRCS) $(CORE_HDRS)
	cd $(ASAN_NGX) && MAKEFLAGS= $(MAKE) -f objs/Makefile modules \
	    >$(CURDIR)/$(ASAN_BUILD)/module-build.log 2>&1

$(ASAN_BUILD)/nodlclose.so: t/asan/nodlclose.c
	@mkdir -p $(@D)
	$(CC) -O2 -shared -fPIC $< -o $@

check-memory: all deps-test $(ASAN_MODULE) $(ASAN_BUILD)/nodlclose.so
	rm -rf $(ASAN_BUILD)/log
	mkdir -p $(ASAN_BUILD)/log
	-KOT_TEST_MODULE=$(CURDIR)/$(ASAN_MODULE) \
	KOT_TEST_PRELOAD="$(ASAN_LIBS)" \
	ASAN_OPTIONS=$(ASAN_OPTS):log_path=$(CURDIR)/$(ASAN_BUILD)/log/asan \
	LSAN_OPTIONS=suppressions=$(CURDIR)/t/asan/lsan.supp:print_suppressions=0 \
	UBSAN_OPTIONS=print_stacktrace=1:log_path=$(CURDIR)/$(ASAN_BUILD)/log/ubsan \
	    prove $(PROVE_ARGS) $(TESTS) 2>&1 | tee $(ASAN_BUILD)/prove.log
	@tools/check-memory-report $(ASAN_BUILD)

# libFuzzer targets of the parsers in ngx_kot_module/kot (clang-14).
FUZZ_TIME   ?= 30
$(BUILD)/fuzz/%: t/fuzz/fuzz_%.c $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(@D)
	clang-14 -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all \
	    -Ingx_kot_module/kot $< $(CORE_SRCS) $(LIBS) -o $@

# The audit reader of kotctl: the target includes admin/kotctl_verify.c,
# and kotctl's other files give what it calls.  Its buffers are made
# small: the long-line and refill paths are then reached by inputs of a
# few kB, and no input costs a 2 MiB mmap and its shadow under ASan.
$(BUILD)/fuzz/audit: t/fuzz/fuzz_audit.c $(CTL_SRCS) $(CTL_HDRS) \
                     $(CORE_SRCS) $(CORE_HDRS)
	@mkdir -p $(@D)
	clang-14 -g -O1 -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=all -D_GNU_SOURCE -Dmain=kotctl_main \
	    $(VERSION_DEF) -DKOTCTL_LINE_MAX=2048 -DKOTCTL_READ_CHUNK=512 \
	    -Ingx_kot_module/kot -Iadmin $< \
	    $(filter-out admin/kotctl_verify.c,$(CTL_SRCS)) $(CORE_SRCS) \
	    $(CTL_LIBS) -o $@

fuzz: $(FUZZ_BINS)
	@set -o pipefail; for f in $(FUZZ_BINS); do \
	    echo "fuzz: $$f for $(FUZZ_TIME)s"; \
	    mkdir -p $(BUILD)/fuzz/corpus-$$(basename $$f) \
	        t/fuzz/corpus/$$(basename $$f); \
	    $$f -max_total_time=$(FUZZ_TIME) -print_final_stats=0 \
	        -artifact_prefix=$(BUILD)/fuzz/ \
	        $(BUILD)/fuzz/corpus-$$(basename $$f) \
	        t/fuzz/corpus/$$(basename $$f) \
	        t/fuzz/seeds/$$(basename $$f) 2>&1 | tail -1 || exit 1; \
	done

install: all
	install -D -m 644 $(MODULE) \
	    $(DESTDIR)/usr/lib/nginx/modules/ngx_http_kot_module.so
	install -D -m 644 conf/modules-available/mod-http-kot.conf \
	    $(DESTDIR)/usr/share/nginx/modules-available/mod-http-kot.conf
	install -D -m 755 $(KOTCTL) $(DESTDIR)/usr/local/sbin/kotctl
	install -D -m 644 conf/logrotate.d/kot $(DESTDIR)/etc/logrotate.d/kot
	install -d -m 755 $(DESTDIR)/var/log/ngx_kot
	install -D -m 644 conf/systemd/kot-notify.service \
	    $(DESTDIR)/lib/systemd/system/kot-notify.service
	install -D -m 644 conf/kot-admin-console.conf \
	    $(DESTDIR)/etc/nginx/snippets/kot-admin-console.conf
	for f in $(CONSOLE:admin/ui/%=%); do \
	    install -D -m 644 admin/ui/$$f \
	        $(DESTDIR)/usr/share/ngx_kot/admin/$$f || exit 1; \
	done

# The Debian package, built as Debian builds its libnginx-mod-* packages
# (debian/); into build/deb/.  See README.md, "The Debian package".
deb:
	@tools/deb

clean:
	rm -rf $(BUILD)

# latlab -- build, test and demo.
#
#   make            build build/latlab-server and build/latlab-client (says what is missing)
#   make deps       install the Debian packages the build needs (scripts/deps.sh)
#   make test       install what is missing, build, run every test; last line "N passed, N failed"
#   make asan       the same tests under -fsanitize=address,undefined (build/asan/)
#   make check      clang-format, cppcheck and the code-shape limits (scripts/shape.py)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS (10) each (tests/fuzz/run.sh)
#   make demo       start the server, run `latlab-client compare` on the lecture's batch, stop
#   make bench      benchmarks against nginx, wrk and httpbin (bench/)
#   make docker-test  build the images and run docker-compose.yml on a private Docker engine
#   make install    PREFIX=/usr/local: programs and man pages
#
# Variants: make SANITIZE=1 BUILD=build/asan;  make V=1 shows full command lines.

VERSION   := 0.1.0
BUILD     ?= build
PREFIX    ?= /usr/local
DESTDIR   ?=
CC        ?= cc
PKG_CONFIG ?= pkg-config

WARN      := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
             -Wpointer-arith -Werror
CSTD      := -std=c11 -D_GNU_SOURCE
OPT       ?= -O2 -g
ifeq ($(SANITIZE),1)
OPT       := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
LDSAN     := -fsanitize=address,undefined
endif

PKGS      := libmicrohttpd libcurl libevent libevent_pthreads inih jansson gnutls
# pkg-config is only asked when it is there; `make` on a bare machine first runs deps.sh
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS) 2>/dev/null)
CMOCKA_CFLAGS = $(shell $(PKG_CONFIG) --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   = $(shell $(PKG_CONFIG) --libs cmocka 2>/dev/null)

CFLAGS_ALL = $(CSTD) $(WARN) $(OPT) -DLATLAB_VERSION='"$(VERSION)"' -Icommon -MMD -MP \
             $(PKG_CFLAGS) $(CFLAGS)
LDLIBS_ALL = $(PKG_LIBS) -lpthread -lm $(LDLIBS)

ifneq ($(V),1)
Q := @
qecho = @printf '  %-6s %s\n' $(1) $(2)
else
qecho = @:
endif

COMMON_SRC := $(sort $(wildcard common/*.c))
SERVER_SRC := $(sort $(wildcard server/*.c))
CLIENT_SRC := $(sort $(wildcard client/*.c))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))

COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
SERVER_OBJ := $(SERVER_SRC:%.c=$(BUILD)/obj/%.o)
CLIENT_OBJ := $(CLIENT_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
# server and client objects except their main(), as libraries the unit tests link
SERVER_LIB_OBJ := $(filter-out %/main.o,$(SERVER_OBJ))
CLIENT_LIB_OBJ := $(filter-out %/main.o,$(CLIENT_OBJ))

.SECONDARY:
.PHONY: all programs deps build-deps test-deps test unit asan check fuzz demo bench install clean

# A plain `make` installs nothing: it says which packages are missing and how to get them.
all: build-deps
	$(Q)$(MAKE) --no-print-directory programs

programs: $(BUILD)/latlab-server $(BUILD)/latlab-client $(BUILD)/bench/server-held-client

build-deps:
	$(Q)sh scripts/deps.sh --build --check || \
	    { echo "make: install them with 'make deps' (or: sudo sh scripts/deps.sh --build)" >&2; exit 1; }

# Installing what is missing: scripts/deps.sh does nothing (and runs no apt-get) when all is there.
# make test, asan, check and demo install what they need, as README promises for a new machine.
deps:
	$(Q)sh scripts/deps.sh --build
test-deps:
	$(Q)sh scripts/deps.sh --test

$(BUILD)/obj/%.o: %.c
	$(call qecho,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) -c -o $@ $<

# only the test programs see cmocka
$(BUILD)/obj/tests/unit/%.o: tests/unit/%.c
	$(call qecho,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS_ALL) $(CMOCKA_CFLAGS) -c -o $@ $<

$(BUILD)/libcommon.a: $(COMMON_OBJ)
$(BUILD)/libserver.a: $(SERVER_LIB_OBJ)
$(BUILD)/libclient.a: $(CLIENT_LIB_OBJ)
$(BUILD)/%.a:
	$(call qecho,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/latlab-server: $(BUILD)/obj/server/main.o $(BUILD)/libserver.a $(BUILD)/libcommon.a
	$(call qecho,LINK,$@)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

$(BUILD)/latlab-client: $(BUILD)/obj/client/main.o $(BUILD)/libclient.a $(BUILD)/libcommon.a
	$(call qecho,LINK,$@)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(LDLIBS_ALL)

# the benchmarks' raw epoll client, built with the project's warnings like everything else
$(BUILD)/bench/%: bench/%.c
	$(call qecho,CC,$<)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CSTD) $(WARN) $(OPT) $(CFLAGS) $(LDSAN) $(LDFLAGS) -pthread -o $@ $<

# A unit test links only what it tests: test_server_* the server library, test_client_* the
# client library, every other test common/ alone.
TEST_LIBS = $(if $(filter test_server_%,$*),$(BUILD)/libserver.a,$(if $(filter test_client_%,$*),$(BUILD)/libclient.a))
.SECONDEXPANSION:
$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $$(TEST_LIBS) $(BUILD)/libcommon.a
	$(call qecho,LINK,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(LDSAN) $(LDFLAGS) -o $@ $^ $(CMOCKA_LIBS) $(LDLIBS_ALL)

unit: $(UNIT_BIN)

test: test-deps
	$(Q)$(MAKE) --no-print-directory programs unit
	$(Q)sh tests/run.sh $(BUILD)

asan: test-deps
	$(Q)$(MAKE) --no-print-directory BUILD=build/asan SANITIZE=1 programs unit
	$(Q)ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0 \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    LATLAB_SANITIZED=1 sh tests/run.sh build/asan

FORMAT_SRC = $(wildcard common/*.[ch] server/*.[ch] client/*.[ch] tests/unit/*.[ch] \
                        tests/fuzz/*.[ch] bench/*.c)
check: test-deps
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRC)
	$(Q)cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,performance,portability \
	    --inline-suppr --suppress=missingIncludeSystem -Icommon common server client bench
	$(Q)cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,performance,portability \
	    --inline-suppr --suppress=missingIncludeSystem -Icommon tests/fuzz
	$(Q)/usr/bin/python3 scripts/shape.py
	@echo "check: clang-format, cppcheck and code shape clean"

FUZZ_SECONDS ?= 10
fuzz: test-deps
	$(Q)sh tests/fuzz/run.sh $(FUZZ_SECONDS)

demo: test-deps
	$(Q)$(MAKE) --no-print-directory programs
	$(Q)sh scripts/demo.sh $(BUILD)

bench:
	$(Q)sh scripts/deps.sh --bench
	$(Q)$(MAKE) --no-print-directory programs
	$(Q)sh bench/run.sh $(BUILD)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/latlab-server $(BUILD)/latlab-client $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 man/latlab-server.1 man/latlab-client.1 $(DESTDIR)$(PREFIX)/share/man/man1/

.PHONY: docker-test
docker-test:
	$(Q)sh scripts/docker-test.sh

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# koffix: one non-recursive Makefile. `make` builds ./koffix; `make test` runs every suite.
# Variant builds go to their own directory: B=build (default), build/asan (make asan).

CC       ?= cc
B        ?= build
PKGS     := libmicrohttpd libcmark-gfm sqlite3 libcjson libcrypto
# The platform layer (common/platform.h): posix here; win32 for the Windows build (make windows),
# whose libraries come from scripts/windows-deps.sh (WIN_DEPS names the prefix it printed).
PLATFORM ?= posix
ifeq ($(PLATFORM),win32)
include $(WIN_DEPS)/flags.mk
PKG_CFLAGS := $(patsubst -I%,-isystem %,$(WIN_DEPS_CFLAGS))
PKG_LIBS   := $(WIN_DEPS_LIBS)
OS_CFLAGS  := -D_WIN32_WINNT=0x0601 -D__USE_MINGW_ANSI_STDIO=1
OS_LIBS    := -static-libgcc -Wl,-Bstatic -lwinpthread -Wl,-Bdynamic -lshell32 -lole32 -ladvapi32
MAIN_RES   := $(B)/app/win/koffix.res
EXE        := .exe
else
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcmark-gfm-extensions
OS_CFLAGS  := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
OS_LIBS    := -lpthread -lm
endif

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla \
            -Wwrite-strings -Wformat=2 -Wno-format-nonliteral
CFLAGS   ?= -O2 -g
ALL_CFLAGS := -std=c11 $(OS_CFLAGS) $(WARN) $(CFLAGS) \
              $(EXTRA_CFLAGS) $(PKG_CFLAGS) -MMD -MP
LDLIBS   := $(PKG_LIBS) $(OS_LIBS)
ASAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

ifeq ($(PLATFORM),win32)
BIN := $(B)/koffix.exe
else ifeq ($(B),build)
BIN := koffix
else
BIN := $(B)/koffix
endif

# Everything but main() goes into one archive that the binary, the tests and the fuzzers link.
LIB_SRCS := \
	common/buf.c common/util.c common/json.c common/policy.c common/log.c common/db.c common/platform_$(PLATFORM).c \
	templates/tpl.c \
	kb/article.c kb/kb.c \
	app/app.c \
	server/http.c server/router.c server/routes.c server/pages.c server/security.c \
	server/form.c server/site.c server/pagecache.c server/wizard_routes.c server/action_routes.c \
	cli/cli.c cli/cli_actions.c \
	wizard/flow.c wizard/engine.c wizard/store.c wizard/session.c
# Each capability lists its own sources here (one line each, so parallel work does not collide).
RA_SRCS     := repair-actions/catalogue.c repair-actions/cmd.c repair-actions/journal.c repair-actions/backend.c repair-actions/agent_backend.c repair-actions/runner.c
PE_SRCS     := pe/pe.c pe/version.c pe/sig.c pe/check.c pe/checker.c pe/store.c server/multipart.c server/dll_routes.c cli/cli_checkdll.c
SCAN_SRCS   := scan/evtxml.c scan/events.c scan/rules.c scan/scan.c scan/store.c cli/cli_scan.c server/scan_routes.c
TICKET_SRCS := ticket/text.c ticket/db.c ticket/model.c ticket/redact.c ticket/render.c ticket/export.c server/ticket_routes.c cli/cli_ticket.c
FLEET_SRCS  := fleet/readiness.c fleet/store.c server/fleet_routes.c cli/cli_fleet.c
LIB_SRCS    += $(RA_SRCS) $(PE_SRCS) $(SCAN_SRCS) $(TICKET_SRCS) $(FLEET_SRCS)
MAIN_SRCS := app/main.c

RA_TESTS     := test_actions
PE_TESTS     := test_pe test_pe_check test_pe_upload
TICKET_TESTS := test_ticket
SCAN_TESTS   := test_scan
FLEET_TESTS  := test_fleet
RA_FUZZERS     :=
PE_FUZZERS     := fuzz_pe fuzz_sig fuzz_pe_multipart
TICKET_FUZZERS := fuzz_ticket
SCAN_FUZZERS   := fuzz_evtxml fuzz_scan fuzz_scan_rules
FLEET_FUZZERS  := fuzz_fleet
UNIT_TESTS := test_platform test_buf test_tpl test_article test_router test_form test_security test_kb test_wizard \
              $(RA_TESTS) $(PE_TESTS) $(TICKET_TESTS) $(SCAN_TESTS) $(FLEET_TESTS)
FUZZERS    := fuzz_frontmatter fuzz_markdown fuzz_tpl fuzz_form fuzz_query fuzz_flow fuzz_agent_json \
              $(RA_FUZZERS) $(PE_FUZZERS) $(TICKET_FUZZERS) $(SCAN_FUZZERS) $(FLEET_FUZZERS)

LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o)
MAIN_OBJS := $(MAIN_SRCS:%.c=$(B)/%.o)
UNIT_BINS := $(UNIT_TESTS:%=$(B)/tests/%$(EXE))
FUZZ_BINS := $(FUZZERS:%=$(B)/fuzz/%)

# The Windows agent (koffix-agent.exe): pure Win32 C, cross-built with mingw-w64 when present.
MINGW      ?= x86_64-w64-mingw32-gcc
AGENT_SRCS := agent/main.c agent/json.c agent/util.c agent/reg.c agent/steps.c agent/msi.c \
              agent/mapisvc.c agent/detect.c agent/preflight.c agent/scan.c
AGENT_RC   := agent/agent.rc
WINDRES    ?= $(MINGW:gcc=windres)
AGENT_CFLAGS := -std=c11 -municode -DUNICODE -D_UNICODE -D_WIN32_WINNT=0x0601 $(WARN) -O2 -g0 -MMD -MP
AGENT_LIBS := -lmsi -ladvapi32 -lbcrypt -lversion -lshell32 -lwtsapi32
AGENT_OBJS := $(AGENT_SRCS:%.c=build/mingw/%.o) build/mingw/agent/agent.res
AGENT_EXE  := koffix-agent.exe
HAVE_MINGW := $(shell command -v $(MINGW) >/dev/null 2>&1 && echo yes)

.SECONDARY:
.PHONY: all asan tsan test unit run bench fuzz clean deps check-deps valgrind windows windows-unit
all: $(BIN)
ifeq ($(HAVE_MINGW),yes)
all: $(AGENT_EXE)
endif

# The agent is built once (never with ASan: it runs under Wine or on Windows).
build/mingw/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  MINGW   $<"
	@$(MINGW) $(AGENT_CFLAGS) -c -o $@ $<

build/mingw/agent/agent.res: $(AGENT_RC) agent/koffix-agent.manifest
	@mkdir -p $(dir $@)
	@echo "  WINDRES $<"
	@$(WINDRES) -I agent $< -O coff -o $@

$(AGENT_EXE): $(AGENT_OBJS)
	@echo "  LD      $@"
	@$(MINGW) -municode -static-libgcc -o $@ $^ $(AGENT_LIBS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/libkoffix.a: $(LIB_OBJS)
	@echo "  AR      $@"
	@rm -f $@ && ar rcs $@ $^

$(B)/app/win/koffix.res: app/win/koffix.rc app/win/koffix.manifest
	@mkdir -p $(dir $@)
	@echo "  WINDRES $<"
	@$(CC:gcc=windres) -I app/win $< -O coff -o $@

$(BIN): $(MAIN_OBJS) $(MAIN_RES) $(B)/libkoffix.a
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%$(EXE): $(B)/tests/unit/%.o $(B)/libkoffix.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS)

# Fuzz targets: LLVMFuzzerTestOneInput plus a file-replay driver, so `make test` can replay the
# corpora with gcc; `make fuzz` builds them with clang's libFuzzer instead.
$(B)/fuzz/%: $(B)/tests/fuzz/%.o $(B)/tests/fuzz/replay.o $(B)/libkoffix.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench/%: $(B)/scripts/bench/%.o $(B)/libkoffix.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS)

# The agent's JSON reader is fuzzed on Linux against a small <windows.h> stand-in; its
# allocation helpers are renamed so that they do not collide with common/util.c's.
AGENT_SHIM := -Itests/fuzz/win32shim -Dxmalloc=agent_xmalloc -Dxcalloc=agent_xcalloc \
              -Dxstrdup=agent_xstrdup -Dxwcsdup=agent_xwcsdup
$(B)/shim/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $< (win32 shim)"
	@$(CC) $(ALL_CFLAGS) $(AGENT_SHIM) -c -o $@ $<

$(B)/fuzz/fuzz_agent_json: $(B)/shim/tests/fuzz/fuzz_agent_json.o $(B)/shim/agent/json.o \
			   $(B)/tests/fuzz/replay.o $(B)/libkoffix.a
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(EXTRA_CFLAGS) -o $@ $^ $(LDLIBS)

unit: $(UNIT_BINS) $(FUZZ_BINS)

asan:
	@$(MAKE) --no-print-directory B=build/asan EXTRA_CFLAGS="$(ASAN_FLAGS)" build/asan/koffix unit

# ThreadSanitizer: the server's threads (libmicrohttpd's pool, the repair runner) checked for
# data races while the HTTP suites run against build/tsan/koffix (tests/run.sh).
TSAN_FLAGS := -fsanitize=thread -fno-omit-frame-pointer
tsan:
	@$(MAKE) --no-print-directory B=build/tsan CFLAGS="-O1 -g" EXTRA_CFLAGS="$(TSAN_FLAGS)" \
		build/tsan/koffix

# koffix.exe for Windows (x86_64): the libraries cross-built once from Debian's source packages
# (scripts/windows-deps.sh, cached outside the tree by version), the same sources built with
# PLATFORM=win32, then dist/koffix-win64.zip (scripts/windows-dist.sh).
WIN_CC ?= x86_64-w64-mingw32-gcc
# WIN_MAKE TARGETS: the libraries' prefix (in $$prefix), then TARGETS built with PLATFORM=win32
# (after scripts/setup.sh --windows has installed the compiler). New libraries (another prefix:
# other versions) mean a clean build/win64: they are linked statically and their headers live
# outside the tree.
WIN_MAKE = prefix=$$(scripts/windows-deps.sh | tail -n 1) && \
	{ [ "$$(cat build/win64/deps-prefix 2>/dev/null)" = "$$prefix" ] || \
	  { rm -rf build/win64 && mkdir -p build/win64 && echo "$$prefix" >build/win64/deps-prefix; }; } && \
	$(MAKE) --no-print-directory PLATFORM=win32 B=build/win64 CC=$(WIN_CC) WIN_DEPS="$$prefix"
windows:
	@scripts/setup.sh --windows
	@$(MAKE) --no-print-directory $(AGENT_EXE)
	@$(WIN_MAKE) build/win64/koffix.exe && scripts/windows-dist.sh "$$prefix"

# The unit tests cross-built too (build/win64/tests/*.exe, with the DLL beside them), for
# tests/wine/test_unit_win64.py: the same checks on Windows' C runtime and file system.
windows-unit:
	@scripts/setup.sh --windows
	@$(WIN_MAKE) $(UNIT_TESTS:%=build/win64/tests/%.exe) && cp "$$prefix"/bin/*.dll build/win64/tests/

# Installs missing Debian packages (as root), builds, indexes the KB and serves it.
PORT ?= 8080
run: check-deps
	@$(MAKE) --no-print-directory all
	-./koffix kb index
	./koffix serve --port $(PORT)

check-deps:
	@scripts/setup.sh --runtime

deps:
	@scripts/setup.sh --all

test: deps
	@$(MAKE) --no-print-directory all unit
	@$(MAKE) --no-print-directory asan
	@$(MAKE) --no-print-directory tsan
	@tests/run.sh

valgrind: all unit
	@tests/valgrind.sh

fuzz:
	@scripts/fuzz.sh

bench: all
	@scripts/bench.sh

clean:
	rm -rf build dist koffix $(AGENT_EXE)

-include $(AGENT_SRCS:%.c=build/mingw/%.d)
-include $(LIB_OBJS:.o=.d) $(MAIN_OBJS:.o=.d) $(UNIT_TESTS:%=$(B)/tests/unit/%.d) $(FUZZERS:%=$(B)/tests/fuzz/%.d)

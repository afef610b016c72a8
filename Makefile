# enlace — GNU Make build.  Everything can be overridden: make CC=clang CFLAGS=...
#   make            build/enlace and build/libenlace.a
#   make check      unit + end-to-end tests, ends with "N passed, N failed"
#   make check SANITIZE=1   the same under AddressSanitizer + UndefinedBehaviorSanitizer
#   make demo       the narrated scenario
#   make fuzz       build and run every libFuzzer target (FUZZ_SECONDS each)
#   make deps       install missing Debian packages
CC      ?= cc
PKGS    := libsodium sqlite3 libqrencode libpng zbar
TESTPKGS := cmocka
FUZZPKGS := zlib
WARN    := -std=c11 -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wformat=2 -Wvla \
           -Wstrict-prototypes -Wmissing-prototypes
DEFS    := -D_GNU_SOURCE
INCS    := -Iinclude -Isrc

ifeq ($(SANITIZE),1)
BUILD   ?= build/san
OPT     := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LDSAN   := -fsanitize=address,undefined
else
BUILD   ?= build
OPT     := -O2 -g -D_FORTIFY_SOURCE=2
LDSAN   :=
endif
HARDEN  := -fstack-protector-strong -fstack-clash-protection -fPIE -Wformat-security
LDHARD  := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack

# pkg-config is asked lazily so that `make deps` works on a machine without the libraries.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
TEST_LIBS  = $(shell pkg-config --libs $(TESTPKGS) 2>/dev/null)
FUZZ_LIBS  = $(shell pkg-config --libs $(FUZZPKGS) 2>/dev/null)

CFLAGS  ?= $(OPT)
ALL_CFLAGS = $(WARN) $(DEFS) $(INCS) $(HARDEN) -pthread $(CFLAGS) $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDHARD) $(LDSAN) -pthread $(LDFLAGS)

LIB_SRC  := $(sort $(shell find src -name '*.c' ! -path 'src/cli/*'))
CLI_SRC  := $(sort $(wildcard src/cli/*.c))
UNIT_SRC := $(sort $(wildcard tests/unit/test_*.c))
HELPER_SRC := $(sort $(wildcard tests/helpers/*.c))
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(BUILD)/tests/helpers/%)
BENCH_BIN := $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)

.PHONY: all deps check unit e2e demo fuzz fuzz-build bench clean
all: $(BUILD)/.deps-ok $(BUILD)/enlace $(BUILD)/libenlace.a

# Runs `make deps` once when pkg-config cannot find a library we need.
$(BUILD)/.deps-ok: scripts/deps.sh
	@{ pkg-config --exists $(PKGS) $(TESTPKGS) $(FUZZPKGS) && command -v tor >/dev/null && \
	   command -v microsocks >/dev/null && command -v strace >/dev/null; } || ./scripts/deps.sh
	@mkdir -p $(BUILD) && touch $@

deps:
	./scripts/deps.sh

$(BUILD)/obj/%.o: %.c | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/libenlace.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/enlace: $(CLI_OBJ) $(BUILD)/libenlace.a
	$(CC) $(ALL_CFLAGS) $(CLI_OBJ) $(BUILD)/libenlace.a $(PKG_LIBS) $(ALL_LDFLAGS) -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libenlace.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit $< $(BUILD)/libenlace.a $(PKG_LIBS) $(TEST_LIBS) $(ALL_LDFLAGS) $(TEST_WRAP) -o $@

# A test that runs another connection's work at the moment a transaction
# begins, to pin down a race between two connections to one profile.
$(BUILD)/tests/test_settle_race: TEST_WRAP = -Wl,--wrap=enl_store_begin

# Saving a file on a folder that behaves like vfat (no O_TMPFILE, no hard
# links), and seeing which descriptors a save syncs.
$(BUILD)/tests/test_file_save_fs: TEST_WRAP = -Wl,--wrap=access -Wl,--wrap=link -Wl,--wrap=fsync

# Two creations of one profile at once: the other's database appears while
# this one derives its key.
$(BUILD)/tests/test_create_race: TEST_WRAP = -Wl,--wrap=crypto_pwhash

# Lists of decrypted records (files, follows, names asked, purge keys), grown while realloc is watched.
$(BUILD)/tests/test_lists_wipe: TEST_WRAP = -Wl,--wrap=realloc

# A test in which reading a dead drop's notes fails (an I/O error).
$(BUILD)/tests/test_cell_attacks: TEST_WRAP = -Wl,--wrap=enl_folder_read

# A passphrase change killed as it folds its new key slot into the file.
$(BUILD)/tests/test_slot_crash: TEST_WRAP = -Wl,--wrap=sqlite3_exec

# Another connection commits as the log that held a key slot begins again;
# a busy wait for a reader that never lets go ends at once; a slot is written
# just before a checkpoint truncates the log.
$(BUILD)/tests/test_log_scrub: TEST_WRAP = -Wl,--wrap=sqlite3_exec -Wl,--wrap=nanosleep -Wl,--wrap=sqlite3_wal_checkpoint_v2

# A passphrase change or duress set that completes while another unlock derives its key.
$(BUILD)/tests/test_slot_race: TEST_WRAP = -Wl,--wrap=crypto_pwhash

# Accepting when the next connection failed on the network (accept4 fails).
$(BUILD)/tests/test_tcp_accept: TEST_WRAP = -Wl,--wrap=accept4

# A peer that floods faster than it is read (recv never says EAGAIN), under a
# clock that moves only when read.
$(BUILD)/tests/test_tcp_flood: TEST_WRAP = -Wl,--wrap=recv -Wl,--wrap=clock_gettime

# A listener whose store fails in the middle of a session (a full disk).
$(BUILD)/tests/test_listener_fails: TEST_WRAP = -Wl,--wrap=enl_store_commit

# A save whose file is written, then whose profile cannot record it (a full disk).
$(BUILD)/tests/test_file_save_full: TEST_WRAP = -Wl,--wrap=enl_store_commit

# A file's sealing whose store fails after a batch committed (a full disk).
$(BUILD)/tests/test_file_send_full: TEST_WRAP = -Wl,--wrap=enl_store_commit

# Counting the scans of a file's stored parts a head's delivery makes.
$(BUILD)/tests/test_file_misfits_cost: TEST_WRAP = -Wl,--wrap=enl_store_part_each

# Counting the statement steps of the expiry pass over many lapsed files.
$(BUILD)/tests/test_forget_parts_cost: TEST_WRAP = -Wl,--wrap=sqlite3_step

# Counting the rows a dead drop's intake scans (the bytes held recounted).
$(BUILD)/tests/test_drop_recount_cost: TEST_WRAP = -Wl,--wrap=sqlite3_step

# A dead drop that cannot be written, as a read-only mount answers access(2).
$(BUILD)/tests/test_drop_read_only: TEST_WRAP = -Wl,--wrap=access

# A save whose writes fail (a full disk), the stack it used searched afterwards.
$(BUILD)/tests/test_file_save_wipe: TEST_WRAP = -Wl,--wrap=write

# Counting the hashes of whole notes a dead drop's intake makes.
$(BUILD)/tests/test_intake_hash_once: TEST_WRAP = -Wl,--wrap=enl_note_id

# Counting the recognition tags the tag cache computes (the others it keeps).
$(BUILD)/tests/test_tags_cached: TEST_WRAP = -Wl,--wrap=enl_ratchet_tag
$(BUILD)/tests/test_tags_cached_chain_kept: TEST_WRAP = -Wl,--wrap=enl_ratchet_tag

# Counting statement signature checks (a stranger's cell log costs one each).
$(BUILD)/tests/test_cell_log_cost: TEST_WRAP = -Wl,--wrap=crypto_sign_final_verify
$(BUILD)/tests/test_migrate_race: TEST_WRAP = -Wl,--wrap=sqlite3_exec

# The files as a wipe's orderly part leaves them, looked at as it closes its
# handle; its waits for a lock counted in tries (nanosleep returns at once).
$(BUILD)/tests/test_wipe_orderly: TEST_WRAP = -Wl,--wrap=sqlite3_close_v2 -Wl,--wrap=nanosleep

# Small programs the end-to-end tests drive (forgeries a real client never makes).
$(BUILD)/tests/helpers/%: tests/helpers/%.c $(BUILD)/libenlace.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libenlace.a $(PKG_LIBS) $(ALL_LDFLAGS) -o $@

$(BUILD)/bench/%: bench/%.c $(BUILD)/libenlace.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $< $(BUILD)/libenlace.a $(PKG_LIBS) $(ALL_LDFLAGS) -o $@

check: all $(UNIT_BIN) $(HELPER_BIN)
	@BUILD=$(BUILD) ./tests/run.sh $(UNIT_BIN)

unit: all $(UNIT_BIN)
	@BUILD=$(BUILD) ONLY=unit ./tests/run.sh $(UNIT_BIN)

e2e: all $(HELPER_BIN)
	@BUILD=$(BUILD) ONLY=e2e ./tests/run.sh

demo: all
	./scripts/demo.sh $(BUILD)/enlace

# libFuzzer targets are built with clang against the library sources compiled for fuzzing.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -std=c11 -g -O1 $(DEFS) $(INCS) -fsanitize=fuzzer-no-link,address,undefined \
              -fno-sanitize-recover=undefined
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=build/fuzz/obj/%.o)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)
build/fuzz/obj/%.o: %.c | $(BUILD)/.deps-ok
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
build/fuzz/%: fuzz/%.c $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(PKG_CFLAGS) -fsanitize=fuzzer -MMD -MP $< $(FUZZ_LIB_OBJ) $(PKG_LIBS) \
	  $(FUZZ_LIBS) -pthread -o $@
.SECONDARY: $(FUZZ_LIB_OBJ)
fuzz-build: $(FUZZ_BIN)
fuzz: fuzz-build
	@for f in $(FUZZ_BIN); do \
	  n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
	  echo "fuzzing $$n for $(FUZZ_SECONDS)s"; \
	  seeds=""; [ -d fuzz/seeds/$$n ] && seeds=fuzz/seeds/$$n; \
	  if ! $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=build/fuzz/$$n- \
	       build/fuzz/corpus/$$n $$seeds > build/fuzz/$$n.log 2>&1; then \
	    tail -n 40 build/fuzz/$$n.log; echo "FUZZ FAILURE in $$n (artifacts in build/fuzz/)"; exit 1; \
	  fi; \
	  grep -E 'stat::number_of_executed_units' build/fuzz/$$n.log | sed "s/^/  $$n: /"; \
	done

# The clock starts before the build: the time docs/BENCHMARKS.md gives, and
# the budget bench/run.sh keeps, are those of the whole `make bench`.
bench:
	@BENCH_T0=$$(date +%s) && $(MAKE) --no-print-directory all $(BENCH_BIN) && \
	  BENCH_T0=$$BENCH_T0 ./bench/run.sh $(BUILD)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)

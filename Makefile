# jcv_logout: server-side logout for Supabase Auth, as a PostgreSQL extension.

MODULE_big = jcv_logout
OBJS = \
	src/jcv_logout.o \
	src/base64url.o \
	src/siphash.o \
	src/json_scan.o \
	src/request_session.o \
	src/jwks.o \
	src/jwt_verify.o \
	src/request_claims.o \
	src/errors.o \
	src/settings.o \
	src/spi_statement.o \
	src/caller_token.o \
	src/session_validity.o \
	src/payload.o \
	src/logout.o \
	src/devices.o \
	src/session_cache.o \
	src/ended_sessions.o \
	src/session_check.o \
	src/session_valid.o \
	src/require_session_hook.o \
	src/go_json.o \
	src/audit.o \
	src/admin.o

EXTENSION = jcv_logout
# Released scripts are frozen; each version arrives as an upgrade script, and
# the fresh install script of the current one is built from them all, so
# there is no copy to keep in step.
DATA = jcv_logout--1.0.sql jcv_logout--1.0--1.1.sql jcv_logout--1.1--1.2.sql \
	jcv_logout--1.2--1.3.sql jcv_logout--1.3--1.4.sql
DATA_built = jcv_logout--1.4.sql
PGFILEDESC = "jcv_logout - server-side logout for Supabase Auth"

PG_CONFIG ?= pg_config

SHLIB_LINK += -ljansson -lcrypto
# Server headers as system headers: -Wextra then checks our code, not theirs.
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server)

REGRESS = setup verify_rules scopes errors session_check session_valid require_session_hook jwks privileges admin fidelity devices owner_code_settings upgrade

# Isolation specs (specs/*.spec) for concurrent logouts. A spec cannot load
# files, so the fixture is put into the database first and
# pg_isolation_regress uses it as it is (--use-existing).
ISOLATION = logout_same_session logout_scopes_race logout_vs_refresh logout_timeouts \
	purge_concurrency session_valid_between_statements session_cache_across_backends \
	logout_device_locks logout_lock_order logout_scan_order \
	session_cache_trigger_disabled_under_reader session_valid_within_one_statement
ISOLATION_OPTS = --use-existing
# test/run_all.sh runs these again with the library in shared_preload_libraries:
# the session cache, and every isolation spec with the cache at work.
PRELOADED_REGRESS = setup session_cache fidelity devices
REGRESS_PREP = isolation-fixture

# make ASAN=1: AddressSanitizer + UBSan build, for test/sanitizers.sh (the
# server must then start with libasan preloaded; see there).
ifdef ASAN
PG_CFLAGS += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SHLIB_LINK += -fsanitize=address,undefined
endif

# No LLVM bitcode: JIT inlining gains nothing for these functions.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# VPATH builds (pg_buildext) compile into a fresh directory without src/.
$(OBJS): | objdir
objdir:
	@mkdir -p src
.PHONY: objdir print-regress print-preloaded-regress

jcv_logout--1.4.sql: jcv_logout--1.0.sql jcv_logout--1.0--1.1.sql jcv_logout--1.1--1.2.sql \
		jcv_logout--1.2--1.3.sql jcv_logout--1.3--1.4.sql
	{ echo '/* jcv_logout--1.4.sql: built by the Makefile from $(notdir $^); do not edit */'; \
	  sed '1d' $(word 1,$^); sed '/^\\echo /d' $(wordlist 2,5,$^); } > $@

print-regress:
	@echo $(REGRESS) $(ISOLATION)
print-preloaded-regress:
	@echo $(PRELOADED_REGRESS)

PSQL = $(bindir)/psql -X -q -v ON_ERROR_STOP=1
.PHONY: isolation-fixture
isolation-fixture:
	$(PSQL) -d postgres -c 'DROP DATABASE IF EXISTS isolation_regression' \
		-c 'CREATE DATABASE isolation_regression'
	$(PSQL) -d isolation_regression -f test/isolation_fixture.sql

# Verification benchmark (bench/, not a test): pure C, no server needed.
BENCH_SOURCES = bench/verify_bench.c src/jwt_verify.c src/json_scan.c src/siphash.c src/jwks.c src/base64url.c
bench/verify_bench: $(BENCH_SOURCES) src/jwt_verify.h src/json_scan.h src/siphash.h src/jwks.h src/base64url.h
	$(CC) -O2 -Wall -Wextra -Werror -Isrc -o $@ $(BENCH_SOURCES) -ljansson -lcrypto -lm
bench-verify: bench/verify_bench
	bash bench/run_verify.sh
.PHONY: bench-verify

# JSON scanner on hostile request.headers / request.jwt.claims shapes: pure C.
bench/json_scan_bench: bench/json_scan_bench.c src/json_scan.c src/json_scan.h src/siphash.c src/siphash.h
	$(CC) -O2 -Wall -Wextra -Werror -Isrc -o $@ bench/json_scan_bench.c src/json_scan.c src/siphash.c -lm
bench-json-scan: bench/json_scan_bench
	./bench/json_scan_bench
.PHONY: bench-json-scan

# Benchmarks (bench/results.md); never part of installcheck.
bench:
	bash bench/run.sh
.PHONY: bench

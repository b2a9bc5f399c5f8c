# jcv_logout: server-side logout for Supabase Auth, as a PostgreSQL extension.

MODULE_big = jcv_logout
OBJS = \
	src/base64url.o \
	src/jwt_verify.o \
	src/errors.o \
	src/settings.o \
	src/logout.o

EXTENSION = jcv_logout
DATA = jcv_logout--1.0.sql
PGFILEDESC = "jcv_logout - server-side logout for Supabase Auth"

PG_CONFIG ?= pg_config

SHLIB_LINK += -ljansson -lcrypto
# Server headers as system headers: -Wextra then checks our code, not theirs.
PG_CPPFLAGS = -isystem $(shell $(PG_CONFIG) --includedir-server)

REGRESS = setup verify_rules scopes errors

# No LLVM bitcode: JIT inlining gains nothing for these functions.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# VPATH builds (pg_buildext) compile into a fresh directory without src/.
$(OBJS): | objdir
objdir:
	@mkdir -p src
.PHONY: objdir print-regress

print-regress:
	@echo $(REGRESS)

# Benchmarks (bench/results.md); never part of installcheck.
bench:
	bash bench/run.sh
.PHONY: bench

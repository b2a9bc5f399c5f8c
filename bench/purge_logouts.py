#!/usr/bin/python3
"""Logs users out one after another (auth_logout, global scope, each call its
own transaction) while a purge runs, and prints the slowest and median call
for users whose sessions the purge ends (idle) and for the others (active).
A call that waits for the purge's row locks is slow by the time it waited.
  purge_logouts.py USERS SECRET STOP_FILE   (libpq's PG* variables name the database)
"""
import hashlib
import json
import os
import random
import statistics
import sys
import time

import jwt
import psycopg

# A steady trickle of logouts (each ends all 4 sessions of its user): enough
# to meet the purge's locks, too few to end a noticeable share of sessions.
PAUSE_SECONDS = 0.01

users, secret, stop_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
now = int(time.time())


def token(user):
    """An access token for the user's first session (session n = user)."""
    user_id = hashlib.md5(f"user{user}".encode()).hexdigest()
    session_id = hashlib.md5(f"session{user}".encode()).hexdigest()
    fmt = lambda h: f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return jwt.encode({"aud": "authenticated", "exp": now + 3600, "iat": now, "sub": fmt(user_id),
                       "session_id": fmt(session_id), "role": "authenticated", "aal": "aal1",
                       "email": f"user{user}@example.com", "phone": "", "is_anonymous": False},
                      secret, algorithm="HS256")


calls = {"idle": [], "active": []}
outcomes = {}
rng = random.Random(1)
with psycopg.connect(autocommit=True) as conn:
    while not os.path.exists(stop_file):
        user = rng.randrange(1, users + 1)
        kind = "idle" if user % 2 == 1 else "active"
        start = time.perf_counter()
        try:
            conn.execute("SELECT public.auth_logout(%s, 'global')", (token(user),))
            outcome = "logged out"
        except psycopg.Error as error:
            outcome = (error.diag.message_primary or "error").split(":")[0]
        calls[kind].append(time.perf_counter() - start)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        time.sleep(PAUSE_SECONDS)

result = {kind: {"calls": len(v), "max_ms": round(max(v) * 1000, 1) if v else None,
                 "median_ms": round(statistics.median(v) * 1000, 2) if v else None}
          for kind, v in calls.items()}
result["outcomes"] = outcomes
print(json.dumps(result))

/*
 * request_session.c
 *	  Reads the session of PostgREST's request.jwt.claims once per claims
 *	  text a backend sees. PostgREST sets the same text for every request
 *	  made with one token, and reading it (a strict scan of the whole JSON,
 *	  then two uuids) cost more than the rest of a check whose session is
 *	  kept (src/session_cache.c).
 *
 *	  The answer is a function of the text alone, so it is kept under the
 *	  text's SipHash-2-4-128 digest, keyed with random bytes drawn by each
 *	  backend, and its length: two texts with one digest are out of reach of
 *	  anyone who does not know the key (the request's claims are anyone's to
 *	  set, but a guess at a collision costs as much as any other guess).
 *	  jcv_logout.session_cache entries, as the sessions kept: sets of four,
 *	  each text in either of two sets its digest picks, the least recently
 *	  used pushed out (read again when it comes back).
 */
#include "postgres.h"

#include "port/pg_bitutils.h"
#include "storage/shmem.h"
#include "utils/memutils.h"

#include "request_claims.h"
#include "request_session.h"
#include "settings.h"
#include "siphash.h"

typedef enum claims_reading
{
	READING_NONE = 0,			/* a free entry */
	READING_NO_SESSION,
	READING_SESSION
} claims_reading;

typedef struct read_claims
{
	uint64		digest[2];
	uint32		len;
	uint8		reading;		/* a claims_reading */
	uint32		last_use;
	pg_uuid_t	session_id;
	pg_uuid_t	user_id;
} read_claims;

#define SET_SIZE 4
#define SET_CHOICES 2

static read_claims *entries = NULL;
static uint32 set_count = 0;	/* a power of two */
static uint32 use_clock = 0;
static uint64 digest_key[2];

/* The table, sized as the setting says now; false if there is none. */
static bool
have_entries(void)
{
	uint32		wanted;

	if (jcv_session_cache_size <= 0)
		return false;
	wanted = pg_prevpower2_32(Max(jcv_session_cache_size / SET_SIZE, 1));
	if (entries != NULL && set_count == wanted)
		return true;
	if (entries == NULL && !pg_strong_random(digest_key, sizeof(digest_key)))
		return false;
	if (entries != NULL)
		pfree(entries);
	set_count = 0;
	entries = MemoryContextAllocExtended(TopMemoryContext,
										 mul_size(wanted, SET_SIZE * sizeof(read_claims)),
										 MCXT_ALLOC_ZERO | MCXT_ALLOC_NO_OOM);
	if (entries == NULL)
		return false;
	set_count = wanted;
	return true;
}

void
jcv_request_session_of_claims(const jcv_claims *claims, jcv_request_session *session)
{
	memset(session, 0, sizeof(*session));
	session->has_session = claims->has_session_id;
	if (session->has_session)
	{
		jcv_uuid_bytes(claims->session_id, session->session_id.data);
		jcv_uuid_bytes(claims->sub, session->user_id.data);
	}
}

static bool
read_uncached(const char *claims_json, jcv_request_session *session)
{
	jcv_claims	claims;

	memset(session, 0, sizeof(*session));
	if (!jcv_read_request_claims(claims_json, &claims))
		return false;
	jcv_request_session_of_claims(&claims, session);
	return true;
}

/* The digest's two sets: from its first word's low and high halves. */
static read_claims *
set_of(const uint64 digest[2], int choice)
{
	uint32		bits = choice == 0 ? (uint32) digest[0] : (uint32) (digest[0] >> 32);

	return &entries[(bits & (set_count - 1)) * SET_SIZE];
}

/* The entry of this text, else a free one, else the least recently used. */
static read_claims *
entry_of(const uint64 digest[2], uint32 len, bool *found)
{
	read_claims *victim = NULL;

	for (int choice = 0; choice < SET_CHOICES; choice++)
	{
		read_claims *set = set_of(digest, choice);

		for (read_claims *e = set; e < set + SET_SIZE; e++)
		{
			if (e->reading != READING_NONE && e->len == len &&
				e->digest[0] == digest[0] && e->digest[1] == digest[1])
			{
				*found = true;
				return e;
			}
			if (victim == NULL ||
				(victim->reading != READING_NONE &&
				 (e->reading == READING_NONE || (int32) (e->last_use - victim->last_use) < 0)))
				victim = e;
		}
	}
	*found = false;
	return victim;
}

bool
jcv_read_request_session(const char *claims_json, jcv_request_session *session)
{
	size_t		len;
	uint64		digest[2];
	read_claims *entry;
	bool		found;

	/* What jcv_read_request_claims refuses unread is not worth a digest. */
	if (claims_json == NULL ||
		(len = strnlen(claims_json, JCV_MAX_REQUEST_JSON_BYTES + 1)) > JCV_MAX_REQUEST_JSON_BYTES ||
		!have_entries())
		return read_uncached(claims_json, session);

	jcv_siphash128(digest_key, claims_json, len, digest);
	entry = entry_of(digest, (uint32) len, &found);
	entry->last_use = ++use_clock;
	if (found)
	{
		session->has_session = entry->reading == READING_SESSION;
		session->session_id = entry->session_id;
		session->user_id = entry->user_id;
		return true;
	}

	/* Refusals are not kept: one may come from a lack of memory. */
	if (!read_uncached(claims_json, session))
		return false;
	entry->digest[0] = digest[0];
	entry->digest[1] = digest[1];
	entry->len = (uint32) len;
	entry->reading = session->has_session ? READING_SESSION : READING_NO_SESSION;
	entry->session_id = session->session_id;
	entry->user_id = session->user_id;
	return true;
}

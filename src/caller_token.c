/*
 * caller_token.c
 *	  Finds the access token a call is about and verifies it with the
 *	  configured key and claim policy.
 */
#include "postgres.h"

#include "utils/guc.h"

#include "caller_token.h"
#include "errors.h"
#include "settings.h"

/*
 * The token to verify: the argument, or PostgREST's Authorization header.
 * Returns NULL when there is none. A "Bearer " scheme is stripped.
 */
static char *
caller_token(text *token_arg, size_t *len)
{
	const char *token;
	char	   *header_value = NULL;
	char	   *copy;

	if (token_arg != NULL)
	{
		token = VARDATA_ANY(token_arg);
		*len = VARSIZE_ANY_EXHDR(token_arg);
		jcv_strip_bearer_scheme(&token, len);
		return pnstrdup(token, *len);
	}

	header_value = jcv_authorization_from_headers(
		GetConfigOption("request.headers", true, false));
	if (header_value == NULL)
		return NULL;
	token = header_value;
	*len = strlen(header_value);
	if (!jcv_strip_bearer_scheme(&token, len))
	{
		free(header_value);
		return NULL;
	}
	copy = pnstrdup(token, *len);
	free(header_value);
	return copy;
}

jcv_status
jcv_check_caller_token(text *token_arg, jcv_claims *claims)
{
	jcv_keyring keys;
	jcv_policy	policy;
	jcv_status	status;
	size_t		len = 0;
	char	   *token = caller_token(token_arg, &len);

	if (token == NULL || len == 0)
		return JCV_MISSING;

	jcv_load_keyring(&keys);
	jcv_load_policy(&policy);
	status = jcv_verify_token(token, len, &keys, &policy, claims);
	pfree(token);

	if (status == JCV_OUT_OF_MEMORY)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory"),
						errhidestmt(true)));
	return status;
}

jcv_claims
jcv_verify_caller_token(text *token_arg)
{
	jcv_claims	claims;
	jcv_status	status = jcv_check_caller_token(token_arg, &claims);

	if (status == JCV_MISSING)
		jcv_raise(JCV_UNAUTHORIZED, jcv_status_message(JCV_MISSING),
				  "Pass the access token, or call through PostgREST with an Authorization: Bearer header.",
				  NULL);
	if (status != JCV_OK)
		jcv_raise(JCV_UNAUTHORIZED, jcv_status_message(status), NULL, NULL);
	return claims;
}

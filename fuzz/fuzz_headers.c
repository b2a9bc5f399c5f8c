/*
 * fuzz_headers.c
 *	  libFuzzer target over the reader of PostgREST's request.headers JSON
 *	  (any SQL session can set it to anything). Built and run by fuzz/run.sh.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jwt_verify.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* GUC values reach us as C strings. */
	char	   *headers = malloc(size + 1);
	char	   *authorization;

	if (headers == NULL)
		return 0;
	memcpy(headers, data, size);
	headers[size] = '\0';
	authorization = jcv_authorization_from_headers(headers);
	free(authorization);
	free(headers);
	return 0;
}

/*
 * token_signing.h
 *	  HS256 token signing for the C tests (unit tests, fuzz targets): a
 *	  reference base64url encoder written independently of src/base64url.c,
 *	  and OpenSSL's HMAC over the signing input.
 */
#ifndef JCV_TEST_TOKEN_SIGNING_H
#define JCV_TEST_TOKEN_SIGNING_H

#include <stddef.h>

#include "jwks.h"

/* Unpadded base64url of src into dst (4 * len / 3 + 2 bytes), NUL-terminated. */
extern size_t test_base64url_encode(const unsigned char *src, size_t len, char *dst);

/*
 * Appends "." and the HS256 signature of token[0..signing_len) under secret;
 * token needs room for TEST_HS256_SIGNATURE_ROOM more bytes. Returns the
 * signed token's length.
 */
#define TEST_HS256_SIGNATURE_ROOM 46
extern size_t test_hs256_sign(const char *secret, char *token, size_t signing_len);

/* The verifier's HMAC key for secret, made on first use and kept. */
extern jcv_key *test_hmac_key(const char *secret);

#endif							/* JCV_TEST_TOKEN_SIGNING_H */

/*
 * base64url.h
 *	  Strict, canonical base64url decoding (RFC 7515 section 2: no padding,
 *	  no characters outside the URL-safe alphabet, unused trailing bits zero).
 *
 * Pure C: no PostgreSQL headers, so it can be fuzzed and tested alone.
 */
#ifndef JCV_BASE64URL_H
#define JCV_BASE64URL_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes needed to decode a base64url text of the given length. */
#define BASE64URL_DECODED_MAX(len) ((len) / 4 * 3 + 2)

/*
 * Decodes src[0..len) into dst, which must hold BASE64URL_DECODED_MAX(len)
 * bytes. Returns false for any input that is not canonical base64url, so a
 * token has exactly one textual form.
 */
extern bool base64url_decode(const char *src, size_t len,
							 unsigned char *dst, size_t *dst_len);

#endif							/* JCV_BASE64URL_H */

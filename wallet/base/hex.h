/* Hex text <-> bytes. */
#ifndef EHR_HEX_H
#define EHR_HEX_H

#include <stddef.h>
#include <stdint.h>

/* Writes 2*len lowercase hex digits and a NUL to out (2*len+1 bytes). */
void hex_encode(const uint8_t *in, size_t len, char *out);

/* Same, prefixed with "0x" (2*len+3 bytes). */
void hex_encode0x(const uint8_t *in, size_t len, char *out);

/* The value of one hex digit (either case), or -1 for any other char. */
int hex_digit_value(int c);

/* Decodes hex with an optional 0x prefix into out (cap bytes). Returns the
 * number of bytes written, or -1 on odd length, a non-hex digit or overflow. */
long hex_decode(const char *hex, uint8_t *out, size_t cap);

/* Decodes exactly len bytes; returns 0 or -1. */
int hex_decode_exact(const char *hex, uint8_t *out, size_t len);

#endif

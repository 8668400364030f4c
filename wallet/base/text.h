/* Small text helpers shared by the library and the cli: "did you mean"
 * distances, UTF-8, and the one sanitiser every string that came from
 * outside (the chain, a record's metadata, a node, a sealed memo) goes
 * through before it can reach a terminal or a file name. */
#ifndef EHR_TEXT_H
#define EHR_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* The optimal-string-alignment distance between a and b (Levenshtein plus
 * swaps of adjacent letters), for "did you mean" hints. Strings of 64
 * bytes or more are not compared: the answer is then 64 (far). */
unsigned edit_distance(const char *a, const char *b);

/* The length (1 to 4) of the well-formed UTF-8 sequence at p (n > 0 bytes
 * left) and its code point in *cp; 0 when it is not one (a stray or
 * truncated byte, an overlong form, a surrogate, past U+10FFFF). */
size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp);

/* The length of the character at p (n > 0 bytes left) when it is safe to
 * show, 0 when it is not: invalid UTF-8 (as utf8_decode), a C0 control,
 * DEL, a C1 control (U+0080-009F), the line and paragraph separators
 * (U+2028/2029), and what reorders text on screen, the direction marks
 * (U+200E/200F), embeddings and overrides (U+202A-202E) and isolates
 * (U+2066-2069): "scan<U+202E>fdp.exe" would show as "scanexe.pdf". With
 * TEXT_ASCII only printable ASCII (0x20-0x7e) is safe. */
#define TEXT_ASCII 1u
size_t text_safe_char(const uint8_t *p, size_t n, unsigned flags);

/* Copies the n bytes at src into out (cap > 0 bytes, always
 * NUL-terminated), each byte of a character text_safe_char refuses
 * becoming '?' (a NUL byte is a control), so the text keeps its length
 * and the user sees that something was there. When out is too small the
 * copy stops at a character boundary. out may be src. Returns the length
 * written. */
size_t text_clean(char *out, size_t cap, const void *src, size_t n, unsigned flags);

/* text_clean of the NUL-terminated s in place. */
void text_clean_inplace(char *s, unsigned flags);

#endif

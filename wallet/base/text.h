/* Small text helpers shared by the library and the cli. */
#ifndef EHR_TEXT_H
#define EHR_TEXT_H

/* The optimal-string-alignment distance between a and b (Levenshtein plus
 * swaps of adjacent letters), for "did you mean" hints. Strings of 64
 * bytes or more are not compared: the answer is then 64 (far). */
unsigned edit_distance(const char *a, const char *b);

#endif

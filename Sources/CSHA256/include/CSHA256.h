#ifndef CSHA256_H
#define CSHA256_H
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the x86 SHA extensions (SHA-NI) plus SSSE3 and SSE4.1, else 0. Cheap after the first call.
int csha256_has_shani(void);

/// Runs the SHA-256 compression function over `blocks` consecutive 64-byte blocks at `data`, updating `state`
/// (a, b, c, d, e, f, g, h) in place, with the SHA-NI instructions. Only call when `csha256_has_shani()` is 1.
void csha256_shani_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif

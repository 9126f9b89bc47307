#include <zstd.h>

// ZSTD_CONTENTSIZE_UNKNOWN / _ERROR are (0ULL - 1) / (0ULL - 2): expression macros Swift does not import.
static inline unsigned long long czstd_contentsize_unknown(void) { return ZSTD_CONTENTSIZE_UNKNOWN; }
static inline unsigned long long czstd_contentsize_error(void) { return ZSTD_CONTENTSIZE_ERROR; }

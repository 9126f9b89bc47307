#include <zlib.h>

// inflateInit2 is a macro that Swift cannot call: wrap it.
static inline int czlib_inflate_init_gzip(z_stream *strm) {
    return inflateInit2(strm, 15 + 32);  // 15-bit window, +32: accept a gzip or zlib header
}

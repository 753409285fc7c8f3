/*
 * Z85 (RFC 32 "Z85"): 4 bytes, read as a big-endian 32-bit number, become 5 characters of
 * an 85-character alphabet, most significant digit first. CURVE keys are written this way
 * (40 characters for 32 bytes). Nothing here is secret-dependent in its timing except the
 * alphabet search of decode, which callers use for public keys and configuration text.
 */
#include "microzmtp/microzmtp.h"

static const char z85_digits[85] = "0123456789abcdefghijklmnopqrstuvwxyz"
                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

mzmtp_status_t mzmtp_z85_encode(char *out, size_t cap, const uint8_t *in, size_t len)
{
    if (out == NULL || (in == NULL && len > 0) || len % 4 != 0 || cap <= len / 4 * 5) {
        return MZMTP_ERR_INVALID;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i += 4) {
        uint32_t v = (uint32_t)in[i] << 24 | (uint32_t)in[i + 1] << 16 |
                     (uint32_t)in[i + 2] << 8 | in[i + 3];
        for (int k = 4; k >= 0; k--) {
            out[o + (size_t)k] = z85_digits[v % 85u];
            v /= 85u;
        }
        o += 5;
    }
    out[o] = '\0';
    return MZMTP_OK;
}

static int digit_value(char c)
{
    for (int i = 0; i < 85; i++) {
        if (z85_digits[i] == c) return i;
    }
    return -1;
}

mzmtp_status_t mzmtp_z85_decode(uint8_t *out, size_t cap, const char *in, size_t len)
{
    if (out == NULL || (in == NULL && len > 0) || len % 5 != 0 || cap < len / 5 * 4) {
        return MZMTP_ERR_INVALID;
    }
    size_t o = 0;
    for (size_t i = 0; i < len; i += 5) {
        uint64_t v = 0;
        for (size_t k = 0; k < 5; k++) {
            int d = digit_value(in[i + k]);
            if (d < 0) return MZMTP_ERR_INVALID;
            v = v * 85u + (uint64_t)d;
        }
        if (v > UINT32_MAX) return MZMTP_ERR_INVALID; /* "%%%%%" and the like */
        out[o] = (uint8_t)(v >> 24);
        out[o + 1] = (uint8_t)(v >> 16);
        out[o + 2] = (uint8_t)(v >> 8);
        out[o + 3] = (uint8_t)v;
        o += 4;
    }
    return MZMTP_OK;
}

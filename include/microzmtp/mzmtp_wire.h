/**
 * @file mzmtp_wire.h
 * @brief ZMTP 3.1 codec: pure encode/decode of greetings, frame headers, commands and
 *        metadata (RFC 37). No state, no I/O, no allocation.
 *
 * Encoders write into a caller's buffer and return the number of bytes written, or 0 when
 * the buffer is too small (nothing useful is ever 0 bytes long). Passing a NULL buffer
 * returns the size that would be written, so callers can size first, encode second.
 */
#ifndef MZMTP_WIRE_H
#define MZMTP_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "mzmtp_status.h"
#include "mzmtp_types.h" /* mzmtp_socket_type_t */

#define MZMTP_GREETING_SIZE 64u
#define MZMTP_FLAG_MORE 0x01u
#define MZMTP_FLAG_LONG 0x02u
#define MZMTP_FLAG_COMMAND 0x04u
/** Largest frame header: flags + 8-byte size. */
#define MZMTP_FRAME_HDR_MAX 9u


/** @return The ZMTP name ("PUB"…) of @p type, or NULL for an unknown value. */
const char *mzmtp_wire_socket_type_name(int type);
/** @return The length of mzmtp_wire_socket_type_name(@p type), or 0. */
size_t mzmtp_wire_socket_type_name_len(int type);
/** @return The type whose exact, case-sensitive name is @p name[0..len), or -1. */
int mzmtp_wire_socket_type_parse(const uint8_t *name, size_t len);
/** @return true when RFC 37's table (wire-notes M5) lets @p a talk to @p b. */
bool mzmtp_wire_socket_types_compatible(int a, int b);

/* What the wire asks of a socket type beyond its name, for an engine that is told these
 * as options rather than knowing socket types (mzmtp_conn_opts_t). */
/** Its READY carries an Identity property, even an empty one (REQ, DEALER, ROUTER;
 *  wire-notes M2). */
#define MZMTP_WIRE_TYPE_SENDS_IDENTITY 0x01u
/** Its peers subscribe: SUBSCRIBE/CANCEL commands, and data messages starting with
 *  0x01/0x00 from ZMTP 3.0 peers, are subscriptions (PUB, XPUB; wire-notes H2, H3). */
#define MZMTP_WIRE_TYPE_TAKES_SUBSCRIPTIONS 0x02u
/**
 * The peer types @p type may talk to (bit n = type n, RFC 37's table) and its
 * MZMTP_WIRE_TYPE_* traits. @return false for an unknown type (both set to 0).
 */
bool mzmtp_wire_socket_type_info(int type, uint16_t *peers, uint8_t *traits);
/* The entries of PUB and PUSH as constants: a build of that one type alone takes them
 * from here instead of linking the tables above (src/conn, MZMTP_CONN_NO_DELIVERY).
 * test_wire checks them against the tables. */
#define MZMTP_WIRE_PUB_NAME "PUB"
#define MZMTP_WIRE_PUB_PEERS ((1u << MZMTP_SUB) | (1u << MZMTP_XSUB))
#define MZMTP_WIRE_PUB_TRAITS MZMTP_WIRE_TYPE_TAKES_SUBSCRIPTIONS
#define MZMTP_WIRE_PUSH_NAME "PUSH"
#define MZMTP_WIRE_PUSH_PEERS (1u << MZMTP_PULL)
#define MZMTP_WIRE_PUSH_TRAITS 0u

/** What a peer's greeting told us. */
typedef struct mzmtp_greeting_info {
    uint8_t major;
    uint8_t minor;      /**< 0 means ZMTP 3.0 (subscriptions travel as data frames). */
    bool as_server;
    uint8_t mechanism[20];
} mzmtp_greeting_info_t;

/**
 * The 64 bytes of a ZMTP 3.1 greeting as an initializer, for greetings kept in flash:
 * signature, version 3.1, the mechanism's first five letters (the rest zero, so at most
 * five letters: NULL, PLAIN, CURVE), as-server. RFC 37 "Formal Grammar"; bytes 1-8 as
 * libzmq sends them (wire-notes G2). mzmtp_wire_encode_greeting() writes the same bytes.
 */
#define MZMTP_WIRE_GREETING(m0, m1, m2, m3, m4, as_server) \
    {0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 3, 1, m0, m1, m2, m3, m4, [32] = (as_server)}

/**
 * Write a ZMTP 3.1 greeting for @p mechanism ("NULL", at most 20 characters).
 * @return 64, or 0 if @p cap < 64 or the mechanism name is too long.
 */
size_t mzmtp_wire_encode_greeting(uint8_t *out, size_t cap, const char *mechanism,
                                  bool as_server);

/**
 * Check the first @p len (≤ 64) bytes of a peer greeting as early as they allow: the
 * signature (bytes 0 and 9) from 10 bytes on, the version from 11 bytes on.
 * @return MZMTP_OK when all 64 bytes are present and valid (@p info filled),
 *         MZMTP_AGAIN when the bytes so far are valid but fewer than 64,
 *         MZMTP_ERR_PROTOCOL for a bad signature, MZMTP_ERR_VERSION for major < 3.
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_wire_decode_greeting(const uint8_t *in, size_t len,
                                                          mzmtp_greeting_info_t *info);

/** @return Bytes of the header for a frame of @p size (2 or 9). */
static inline size_t mzmtp_wire_frame_hdr_size(uint64_t size) { return size > 255u ? 9u : 2u; }

/**
 * Write a frame header (flags | LONG when needed, then the size).
 * @param flags MZMTP_FLAG_MORE and/or MZMTP_FLAG_COMMAND; other bits are refused.
 * @return 2 or 9, or 0 if @p cap is too small or @p flags is illegal.
 */
size_t mzmtp_wire_encode_frame_hdr(uint8_t *out, size_t cap, uint8_t flags, uint64_t size);

/** A decoded frame header. */
typedef struct mzmtp_frame_hdr {
    uint8_t flags;   /**< As received, LONG included. */
    uint8_t hdr_len; /**< 2 or 9. */
    uint64_t size;   /**< Body size in bytes (< 2^63). */
} mzmtp_frame_hdr_t;

/**
 * Decode a frame header strictly: reserved bits 3–7, MORE on a command and sizes of 2^63
 * or more are MZMTP_ERR_PROTOCOL (stricter than libzmq, which ignores them; wire-notes F3).
 * @return MZMTP_OK, MZMTP_AGAIN if @p len is too short to tell, or MZMTP_ERR_PROTOCOL.
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_wire_decode_frame_hdr(const uint8_t *in, size_t len,
                                                           mzmtp_frame_hdr_t *hdr);

/**
 * Write the start of a command frame whose data (@p data_len bytes) the caller writes
 * right after it: header, name-len, @p name[0..name_len).
 * @return Bytes written, or 0 if it does not fit or the name is not 1..255 bytes.
 */
size_t mzmtp_wire_encode_command_head(uint8_t *out, size_t cap, const uint8_t *name,
                                      size_t name_len, size_t data_len);
/** @return What mzmtp_wire_encode_command_head() writes for a valid name. */
static inline size_t mzmtp_wire_command_head_size(size_t name_len, size_t data_len)
{
    return mzmtp_wire_frame_hdr_size((uint64_t)1u + name_len + data_len) + 1u + name_len;
}

/**
 * Write a whole command frame: header, name-len, name, then @p data.
 * @return Bytes written, or 0 if it does not fit or @p name is not 1..255 bytes.
 */
size_t mzmtp_wire_encode_command(uint8_t *out, size_t cap, const char *name,
                                 const uint8_t *data, size_t data_len);

/**
 * Split a command body (the frame body, not the header) into name and data.
 * @param[out] name, name_len, data, data_len  Point into @p body.
 * @return MZMTP_OK or MZMTP_ERR_PROTOCOL (empty, or name-len past the body).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_wire_decode_command(const uint8_t *body, size_t len,
                                                         const uint8_t **name,
                                                         size_t *name_len,
                                                         const uint8_t **data,
                                                         size_t *data_len);

/** @return true when the command name equals @p literal exactly. */
bool mzmtp_wire_name_is(const uint8_t *name, size_t name_len, const char *literal);

/**
 * Append one metadata property (name-len, name, 4-byte BE value-len, value).
 * @return Bytes written, or 0 if it does not fit or @p name is not 1..255 bytes.
 */
size_t mzmtp_wire_encode_property(uint8_t *out, size_t cap, const char *name,
                                  const uint8_t *value, size_t value_len);
/** As mzmtp_wire_encode_property(), with the name's length given. */
size_t mzmtp_wire_encode_property_n(uint8_t *out, size_t cap, const uint8_t *name,
                                    size_t name_len, const uint8_t *value, size_t value_len);

/** Iterator over a metadata block. All fields are private. */
typedef struct mzmtp_metadata_iter {
    const uint8_t *data; /* the block, borrowed from mzmtp_wire_metadata_begin()'s caller */
    size_t len;          /* its length */
    size_t pos;          /* start of the next property; never above len */
} mzmtp_metadata_iter_t;

void mzmtp_wire_metadata_begin(mzmtp_metadata_iter_t *it, const uint8_t *data, size_t len);

/**
 * Read the next property. Names compare case-insensitively (RFC 37), so use
 * mzmtp_wire_name_eq_nocase() on the result.
 * @return MZMTP_OK (one property out), MZMTP_AGAIN (no more: the block ended exactly),
 *         or MZMTP_ERR_PROTOCOL (a truncated property or a zero-length name).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_wire_metadata_next(mzmtp_metadata_iter_t *it,
                                                        const uint8_t **name,
                                                        size_t *name_len,
                                                        const uint8_t **value,
                                                        size_t *value_len);

/** @return true when @p name equals @p literal, ASCII case-insensitively. */
bool mzmtp_wire_name_eq_nocase(const uint8_t *name, size_t name_len, const char *literal);
/** The same with the literal's length given (no strlen). */
bool mzmtp_wire_name_eq_nocase_n(const uint8_t *name, size_t name_len, const char *literal,
                                 size_t literal_len);

/** Big-endian helpers. */
static inline uint64_t mzmtp_wire_get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
    return v;
}
#if defined(__GNUC__) || defined(__clang__)
/* Always inlined: a load and a byte swap on Cortex-M3, which -Os would otherwise make a
 * call wherever two of them meet (bench/size's min_pub). */
__attribute__((always_inline))
#endif
static inline uint32_t mzmtp_wire_get_u32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void mzmtp_wire_put_u32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif /* MZMTP_WIRE_H */

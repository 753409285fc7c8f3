/*
 * ZMTP 3.1 codec (RFC 37): greeting, frame headers, commands, metadata.
 * Pure functions over caller buffers: no state, no I/O.
 */
#include <string.h>
#include "microzmtp/mzmtp_wire.h"
#include "../util/mzmtp_util.h"

/* strlen without pulling the C library's (larger, word-at-a-time) version into small
 * firmware. It reads bytes, not chars: the same test, and the proof (docs/proofs.md) then
 * sees that any byte of 1..255 ends no string. */
static size_t cstr_len(const char *s)
{
    const uint8_t *b = (const uint8_t *)s;
    size_t n = 0;
    while (b[n] != 0) n++;
    return n;
}

static const char *const type_names[MZMTP_SOCKET_TYPE_COUNT] = {
    "PAIR", "PUB", "SUB", "REQ", "REP", "DEALER", "ROUTER", "PULL", "PUSH", "XPUB", "XSUB",
};
static const uint8_t type_name_len[MZMTP_SOCKET_TYPE_COUNT] = {4, 3, 3, 3, 3, 6, 6, 4, 4, 4, 4};

const char *mzmtp_wire_socket_type_name(int type)
{
    if (type < 0 || type >= MZMTP_SOCKET_TYPE_COUNT) return NULL;
    return type_names[type];
}

size_t mzmtp_wire_socket_type_name_len(int type)
{
    if (type < 0 || type >= MZMTP_SOCKET_TYPE_COUNT) return 0;
    return type_name_len[type];
}

int mzmtp_wire_socket_type_parse(const uint8_t *name, size_t len)
{
    /* wire-notes M4: libzmq compares the value exactly and case-sensitively. */
    for (int t = 0; t < MZMTP_SOCKET_TYPE_COUNT; t++) {
        if (type_name_len[t] == len && mzmtp_util_bytes_eq(type_names[t], name, len)) return t;
    }
    return -1;
}

/* RFC 37 "The Socket Type property", wire-notes M5: bit b of type_peers[a]. */
#define T(x) (1u << MZMTP_##x)
static const uint16_t type_peers[MZMTP_SOCKET_TYPE_COUNT] = {
        [MZMTP_PAIR] = T(PAIR),
        [MZMTP_PUB] = T(SUB) | T(XSUB),
        [MZMTP_SUB] = T(PUB) | T(XPUB),
        [MZMTP_REQ] = T(REP) | T(ROUTER),
        [MZMTP_REP] = T(REQ) | T(DEALER),
        [MZMTP_DEALER] = T(REP) | T(DEALER) | T(ROUTER),
        [MZMTP_ROUTER] = T(REQ) | T(DEALER) | T(ROUTER),
        [MZMTP_PULL] = T(PUSH),
        [MZMTP_PUSH] = T(PULL),
        [MZMTP_XPUB] = T(SUB) | T(XSUB),
        [MZMTP_XSUB] = T(PUB) | T(XPUB),
};
#undef T

bool mzmtp_wire_socket_types_compatible(int a, int b)
{
    if (a < 0 || a >= MZMTP_SOCKET_TYPE_COUNT || b < 0 || b >= MZMTP_SOCKET_TYPE_COUNT) return false;
    return (type_peers[a] >> b) & 1u;
}

bool mzmtp_wire_socket_type_info(int type, uint16_t *peers, uint8_t *traits)
{
    /* wire-notes M2 (Identity in READY), H2/H3 (who takes subscriptions) */
    static const uint8_t type_traits[MZMTP_SOCKET_TYPE_COUNT] = {
        [MZMTP_PUB] = MZMTP_WIRE_TYPE_TAKES_SUBSCRIPTIONS,
        [MZMTP_XPUB] = MZMTP_WIRE_TYPE_TAKES_SUBSCRIPTIONS,
        [MZMTP_REQ] = MZMTP_WIRE_TYPE_SENDS_IDENTITY,
        [MZMTP_DEALER] = MZMTP_WIRE_TYPE_SENDS_IDENTITY,
        [MZMTP_ROUTER] = MZMTP_WIRE_TYPE_SENDS_IDENTITY,
    };
    bool known = type >= 0 && type < MZMTP_SOCKET_TYPE_COUNT;
    *peers = known ? type_peers[type] : 0;
    *traits = known ? type_traits[type] : 0;
    return known;
}

size_t mzmtp_wire_encode_greeting(uint8_t *out, size_t cap, const char *mechanism,
                                  bool as_server)
{
    size_t mlen = cstr_len(mechanism);
    if (mlen > 20) return 0;
    if (out == NULL) return MZMTP_GREETING_SIZE;
    if (cap < MZMTP_GREETING_SIZE) return 0;
    /* The same bytes as the engine's greetings in flash (MZMTP_WIRE_GREETING). */
    static const uint8_t base[MZMTP_GREETING_SIZE] = MZMTP_WIRE_GREETING(0, 0, 0, 0, 0, 0);
    memcpy(out, base, MZMTP_GREETING_SIZE);
    memcpy(out + 12, mechanism, mlen);
    out[32] = as_server ? 1 : 0;
    return MZMTP_GREETING_SIZE;
}

mzmtp_status_t mzmtp_wire_decode_greeting(const uint8_t *in, size_t len,
                                          mzmtp_greeting_info_t *info)
{
    if (len > MZMTP_GREETING_SIZE) len = MZMTP_GREETING_SIZE;
    /* wire-notes G4: byte 0 must be FF and byte 9 must have bit 0 set; bytes 1-8 are not
     * checked (G2). Fail as soon as the bytes we have allow. */
    if (len >= 1 && in[0] != 0xFF) return MZMTP_ERR_PROTOCOL;
    if (len >= 10 && (in[9] & 0x01) == 0) return MZMTP_ERR_PROTOCOL;
    if (len >= 11 && in[10] < 3) return MZMTP_ERR_VERSION;
    if (len < MZMTP_GREETING_SIZE) return MZMTP_AGAIN;
    info->major = in[10];
    /* G4/G5: any major above 3 speaks at least 3.1 to us. */
    info->minor = in[10] > 3 ? 1 : in[11];
    info->as_server = in[32] != 0;
    memcpy(info->mechanism, in + 12, 20);
    return MZMTP_OK;
}

size_t mzmtp_wire_encode_frame_hdr(uint8_t *out, size_t cap, uint8_t flags, uint64_t size)
{
    if ((flags & (uint8_t)~(MZMTP_FLAG_MORE | MZMTP_FLAG_COMMAND)) != 0) return 0;
    if ((flags & MZMTP_FLAG_COMMAND) && (flags & MZMTP_FLAG_MORE)) return 0;
    if (size > (uint64_t)INT64_MAX) return 0;
    size_t need = mzmtp_wire_frame_hdr_size(size);
    if (out == NULL) return need;
    if (cap < need) return 0;
    if (need == 2) {
        out[0] = flags;
        out[1] = (uint8_t)size;
        return 2;
    }
    out[0] = (uint8_t)(flags | MZMTP_FLAG_LONG);
    /* big-endian, by shifts of 8: no 64-bit variable shift (a library call on 32-bit) */
    for (size_t i = 8; i >= 1; i--, size >>= 8) out[i] = (uint8_t)size;
    return 9;
}

mzmtp_status_t mzmtp_wire_decode_frame_hdr(const uint8_t *in, size_t len,
                                           mzmtp_frame_hdr_t *hdr)
{
    if (len < 1) return MZMTP_AGAIN;
    uint8_t f = in[0];
    /* RFC 37 "Framing": bits 3-7 are reserved and zero; a command never has MORE.
     * libzmq lets both through (wire-notes F3); we close instead, as documented. */
    if (f & 0xF8u) return MZMTP_ERR_PROTOCOL;
    if ((f & MZMTP_FLAG_COMMAND) && (f & MZMTP_FLAG_MORE)) return MZMTP_ERR_PROTOCOL;
    if (f & MZMTP_FLAG_LONG) {
        if (len < 9) return MZMTP_AGAIN;
        /* read as two 32-bit halves: the top bit (sizes of 2^63 and more) is refused */
        uint32_t hi = mzmtp_wire_get_u32(in + 1);
        if (hi & 0x80000000u) return MZMTP_ERR_PROTOCOL;
        hdr->flags = f;
        hdr->hdr_len = 9;
        hdr->size = (uint64_t)hi << 32 | mzmtp_wire_get_u32(in + 5);
    } else {
        if (len < 2) return MZMTP_AGAIN;
        hdr->flags = f;
        hdr->hdr_len = 2;
        hdr->size = in[1];
    }
    return MZMTP_OK;
}

size_t mzmtp_wire_encode_command_head(uint8_t *out, size_t cap, const uint8_t *name,
                                      size_t name_len, size_t data_len)
{
    if (name_len == 0 || name_len > 255) return 0;
    /* a frame is at most 2^63 - 1 bytes (and 1 + 255 + SIZE_MAX would wrap on 64 bits) */
#if SIZE_MAX > INT64_MAX - 256
    if (data_len > (size_t)INT64_MAX - 256u) return 0;
#endif
    uint64_t body = (uint64_t)1u + name_len + data_len;
    size_t hdr = mzmtp_wire_frame_hdr_size(body);
    size_t head = hdr + 1u + name_len; /* mzmtp_wire_command_head_size() */
    if (out == NULL) return head;
    if (cap < head) return 0;
    (void)mzmtp_wire_encode_frame_hdr(out, hdr, MZMTP_FLAG_COMMAND, body);
    out[hdr] = (uint8_t)name_len;
    memcpy(out + hdr + 1, name, name_len);
    return head;
}

size_t mzmtp_wire_encode_command(uint8_t *out, size_t cap, const char *name,
                                 const uint8_t *data, size_t data_len)
{
    size_t nlen = cstr_len(name);
    if (nlen == 0 || nlen > 255) return 0;
    if (data_len > (size_t)INT64_MAX - 1 - nlen) return 0;
    size_t head = mzmtp_wire_encode_command_head(NULL, 0, (const uint8_t *)name, nlen, data_len);
    if (data_len > SIZE_MAX - head) return 0;
    size_t total = head + data_len;
    if (out == NULL) return total;
    if (cap < total) return 0;
    (void)mzmtp_wire_encode_command_head(out, cap, (const uint8_t *)name, nlen, data_len);
    if (data_len) memcpy(out + head, data, data_len);
    return total;
}

mzmtp_status_t mzmtp_wire_decode_command(const uint8_t *body, size_t len,
                                         const uint8_t **name, size_t *name_len,
                                         const uint8_t **data, size_t *data_len)
{
    /* RFC 37 "Commands": command-body = command-name command-data, name = OCTET 1*255. */
    if (len < 1 || body[0] == 0 || (size_t)body[0] > len - 1) return MZMTP_ERR_PROTOCOL;
    *name = body + 1;
    *name_len = body[0];
    *data = body + 1 + body[0];
    *data_len = len - 1 - body[0];
    return MZMTP_OK;
}

bool mzmtp_wire_name_is(const uint8_t *name, size_t name_len, const char *literal)
{
    size_t l = cstr_len(literal);
    return l == name_len && mzmtp_util_bytes_eq(name, literal, l);
}

static uint8_t lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c; }

bool mzmtp_wire_name_eq_nocase_n(const uint8_t *name, size_t name_len, const char *literal,
                                 size_t literal_len)
{
    if (literal_len != name_len) return false;
    for (size_t i = 0; i < name_len; i++) {
        if (lower(name[i]) != lower((uint8_t)literal[i])) return false;
    }
    return true;
}

bool mzmtp_wire_name_eq_nocase(const uint8_t *name, size_t name_len, const char *literal)
{
    return mzmtp_wire_name_eq_nocase_n(name, name_len, literal, cstr_len(literal));
}

size_t mzmtp_wire_encode_property(uint8_t *out, size_t cap, const char *name,
                                  const uint8_t *value, size_t value_len)
{
    return mzmtp_wire_encode_property_n(out, cap, (const uint8_t *)name, cstr_len(name), value,
                                        value_len);
}

size_t mzmtp_wire_encode_property_n(uint8_t *out, size_t cap, const uint8_t *name,
                                    size_t nlen, const uint8_t *value, size_t value_len)
{
    if (nlen == 0 || nlen > 255 || value_len > 0x7FFFFFFFu) return 0;
    if (value_len > SIZE_MAX - 5 - nlen) return 0;
    size_t total = 1 + nlen + 4 + value_len;
    if (out == NULL) return total;
    if (cap < total) return 0;
    out[0] = (uint8_t)nlen;
    memcpy(out + 1, name, nlen);
    mzmtp_wire_put_u32(out + 1 + nlen, (uint32_t)value_len);
    if (value_len) memcpy(out + 5 + nlen, value, value_len);
    return total;
}

void mzmtp_wire_metadata_begin(mzmtp_metadata_iter_t *it, const uint8_t *data, size_t len)
{
    it->data = data;
    it->len = len;
    it->pos = 0;
}

mzmtp_status_t mzmtp_wire_metadata_next(mzmtp_metadata_iter_t *it, const uint8_t **name,
                                        size_t *name_len, const uint8_t **value,
                                        size_t *value_len)
{
    const uint8_t *d = it->data;
    const size_t len = it->len;
    const size_t pos = it->pos;
    if (pos >= len) return MZMTP_AGAIN;
    /* RFC 37 "Metadata": name-len OCTET, name, value-len 4 OCTETs, value. A truncated
     * property or a stray byte closes the connection, as libzmq does (wire-notes M1).
     * Each field's start is an index compared with len before the field is read, and no
     * sum can wrap (each is at most len), so every access stays inside the block
     * (docs/proofs.md). */
    const size_t nlen = d[pos];
    const size_t name_at = pos + 1;
    if (nlen == 0 || nlen > len - name_at) return MZMTP_ERR_PROTOCOL;
    const size_t vlen_at = name_at + nlen;
    if (len - vlen_at < 4) return MZMTP_ERR_PROTOCOL;
    const uint32_t vlen = mzmtp_wire_get_u32(d + vlen_at);
    const size_t value_at = vlen_at + 4;
    if (vlen > 0x7FFFFFFFu || (size_t)vlen > len - value_at) return MZMTP_ERR_PROTOCOL;
    *name = d + name_at;
    *name_len = nlen;
    *value = d + value_at;
    *value_len = vlen;
    it->pos = value_at + vlen;
    return MZMTP_OK;
}

/*
 * Frama-C EVA harness for src/wire (docs/proofs.md): every decoder of the codec on a
 * buffer of every length from 0 to PROOF_MAX_LEN whose bytes may hold any value, and every
 * encoder on any arguments its header allows. EVA explores all these inputs at once
 * (abstract interpretation); "0 alarms" means no out-of-bounds access, no arithmetic
 * overflow (signed or unsigned), no invalid shift, no uninitialised read and no division
 * by zero in any of them.
 *
 * How the bounds are made exact: each length is split (`split`), so every length is
 * analysed on its own, and the buffer for it comes from malloc(len) with
 * -eva-alloc-builtin fresh: a base that is exactly len bytes long, so reading one byte
 * past the end, or one before the start, is an alarm. Run with proofs/run.sh.
 */
#include "__fc_builtin.h"
#include <stdlib.h>
#include <string.h>
#include "microzmtp/mzmtp_wire.h"

#ifndef PROOF_MAX_LEN
#define PROOF_MAX_LEN 300
#endif
/* Longest C string given to an encoder or a name compare: past the 255-byte limit. */
#ifndef PROOF_MAX_STR
#define PROOF_MAX_STR 260
#endif

/* A buffer of exactly @p len bytes of unknown contents (NULL only if len is 0... never:
 * EVA's malloc here never fails). */
static uint8_t *any_bytes(size_t len)
{
    uint8_t *b = malloc(len);
    if (b != NULL) Frama_C_make_unknown((char *)b, len);
    return b;
}

/* PROOF_MAX_STR + 1 bytes, each any of 1..255 (filled by fill_nonzero()). */
static uint8_t nonzero[PROOF_MAX_STR + 1];

static void fill_nonzero(void)
{
    /*@ loop unroll PROOF_MAX_STR + 1; */
    for (size_t i = 0; i < sizeof(nonzero); i++) nonzero[i] = (uint8_t)Frama_C_interval(1, 255);
}

/* A C string of exactly @p n characters (each any of 1..255) in a buffer of n + 1 bytes. */
static const char *any_cstr(size_t n)
{
    char *s = malloc(n + 1);
    if (s == NULL) return NULL;
    memcpy(s, nonzero, n);
    s[n] = 0;
    return s;
}

/* The decoders: each is given every input decoders() makes (@p len bytes at @p in). */
static void greeting(const uint8_t *in, size_t len)
{
    mzmtp_greeting_info_t info;
    (void)mzmtp_wire_decode_greeting(in, len, &info);
}

static void frame_hdr(const uint8_t *in, size_t len)
{
    mzmtp_frame_hdr_t h;
    (void)mzmtp_wire_decode_frame_hdr(in, len, &h);
}

static void command(const uint8_t *body, size_t len)
{
    const uint8_t *name, *data;
    size_t name_len, data_len;
    (void)mzmtp_wire_decode_command(body, len, &name, &name_len, &data, &data_len);
}

static void metadata(const uint8_t *block, size_t len)
{
    mzmtp_metadata_iter_t it;
    mzmtp_wire_metadata_begin(&it, block, len);
    /*@ assert it.pos == 0 && it.len == len && it.data == block; */
    /* Any state a sequence of calls can reach: the next property starts anywhere in the
     * block, or at its end. The call below keeps pos within the block, so by induction
     * every call of every sequence is one of those analysed here. */
    it.pos = Frama_C_size_t_interval(0, len);
    const uint8_t *name, *value;
    size_t name_len, value_len;
    (void)mzmtp_wire_metadata_next(&it, &name, &name_len, &value, &value_len);
    /*@ assert it.pos <= len && it.len == len && it.data == block; */
}

/* The compares, on a name of every length up to PROOF_MAX_STR and any contents against a
 * literal of every length up to PROOF_MAX_STR and any characters. The literal's length is
 * split; a name of the same length is a buffer of exactly that length, and a name of any
 * other length a buffer whose every read would be an alarm (the compares must not read
 * it: lengths that differ answer false at once). */
static void compare_all(const uint8_t *name, size_t len, const char *lit, size_t n)
{
    (void)mzmtp_wire_name_is(name, len, lit);
    (void)mzmtp_wire_name_eq_nocase(name, len, lit);
    (void)mzmtp_wire_name_eq_nocase_n(name, len, lit, n);
}

static void compares(void)
{
    fill_nonzero();
    size_t n = Frama_C_size_t_interval(0, PROOF_MAX_STR);
    /*@ split n; */
    const char *lit = any_cstr(n);
    if (lit == NULL) return;
    size_t len = Frama_C_size_t_interval(0, PROOF_MAX_STR);
    /* Three calls, so that each set of lengths is an interval. */
    if (len < n) {
        compare_all(NULL, len, lit, n);
    } else if (len > n) {
        compare_all(NULL, len, lit, n);
    } else {
        const uint8_t *name = any_bytes(len);
        if (name != NULL) compare_all(name, len, lit, n);
    }
}

/* Socket-Type values. */
static void type_parse(const uint8_t *value, size_t len)
{
    (void)mzmtp_wire_socket_type_parse(value, len);
}

/* One input for every decoder: a buffer of each length from 0 to PROOF_MAX_LEN (split, so
 * that each length is analysed on its own; the split must stay in this function, as EVA
 * joins its partitions when a function returns), with any contents. */
static void decoders(void)
{
    size_t len = Frama_C_size_t_interval(0, PROOF_MAX_LEN);
    /*@ split len; */
    const uint8_t *in = any_bytes(len);
    if (in == NULL) return;
    greeting(in, len);
    frame_hdr(in, len);
    command(in, len);
    metadata(in, len);
    type_parse(in, len);
}

static void types(void)
{
    int t = Frama_C_int_interval(INT32_MIN, INT32_MAX);
    int u = Frama_C_int_interval(INT32_MIN, INT32_MAX);
    (void)mzmtp_wire_socket_type_name(t);
    (void)mzmtp_wire_socket_type_name_len(t);
    (void)mzmtp_wire_socket_types_compatible(t, u);
    uint16_t peers;
    uint8_t traits;
    (void)mzmtp_wire_socket_type_info(t, &peers, &traits);
}

/* Encoders write forwards from `out` and read forwards from their inputs, so a buffer
 * placed at the very end of a static array is as good as one of exactly that length (any
 * byte past its end is past the array's end), and it costs EVA no new base per length. */
#ifndef PROOF_MAX_DATA
#define PROOF_MAX_DATA 300
#endif
#define PROOF_OUT_MAX (9u + 1u + PROOF_MAX_STR + 4u + PROOF_MAX_DATA + 64u)
static uint8_t out_pool[PROOF_OUT_MAX];
static uint8_t data_pool[PROOF_MAX_DATA];

static uint8_t *out_end(size_t need) { return need <= sizeof(out_pool) ? out_pool + (sizeof(out_pool) - need) : NULL; }

static const uint8_t *data_end(size_t len)
{
    Frama_C_make_unknown((char *)data_pool, sizeof(data_pool));
    return data_pool + (sizeof(data_pool) - len);
}

/*
 * Encoders. Each is first asked for its size (out == NULL), which any arguments allow.
 * Then, for every capacity below that size, it must write nothing (its buffer is the
 * end of an array, where every write would be an alarm), and for every capacity from that size up, it must
 * write only the first `need` bytes (its buffer is exactly that long).
 */
#define ENCODE_EVERY_CAP(need, call_with_out_cap)                                    \
    do {                                                                             \
        if ((need) > 0) {                                                            \
            size_t cap = Frama_C_size_t_interval(need, SIZE_MAX);                    \
            uint8_t *out = out_end(need);                                            \
            (void)call_with_out_cap;                                                 \
        }                                                                            \
        {                                                                            \
            size_t cap = (need) > 0 ? Frama_C_size_t_interval(0, (need) - 1)          \
                                    : Frama_C_size_t_interval(0, SIZE_MAX);          \
            uint8_t *out = out_pool + sizeof(out_pool); /* no byte may be written */ \
            (void)call_with_out_cap;                                                 \
        }                                                                            \
    } while (0)

#ifndef PROOF_MAX_MECH
#define PROOF_MAX_MECH 24 /* past the 20-character limit */
#endif

static void enc_greeting(void)
{
    fill_nonzero();
    size_t n = Frama_C_size_t_interval(0, PROOF_MAX_MECH);
    /*@ split n; */
    const char *mech = any_cstr(n);
    if (mech == NULL) return;
    bool as_server = Frama_C_interval(0, 1) != 0;
    size_t need = mzmtp_wire_encode_greeting(NULL, 0, mech, as_server);
    ENCODE_EVERY_CAP(need, mzmtp_wire_encode_greeting(out, cap, mech, as_server));
}

static void enc_frame_hdr_sizes(uint64_t lo, uint64_t hi)
{
    uint8_t flags = (uint8_t)Frama_C_interval(0, 255);
    /*@ split flags; */
    uint64_t size = Frama_C_unsigned_long_long_interval(lo, hi);
    size_t need = mzmtp_wire_encode_frame_hdr(NULL, 0, flags, size);
    /*@ split need; */
    ENCODE_EVERY_CAP(need, mzmtp_wire_encode_frame_hdr(out, cap, flags, size));
}

/* Short sizes, long ones up to 2^63 - 1, and the illegal rest. */
static void enc_frame_hdr(void)
{
    enc_frame_hdr_sizes(0, 255);
    enc_frame_hdr_sizes(256, INT64_MAX);
    enc_frame_hdr_sizes((uint64_t)INT64_MAX + 1u, UINT64_MAX);
}

/*
 * Command and property encoders: a name of n characters and a body of d bytes, every
 * (n, d) pair of the ranges below analysed on its own. Splitting both costs one analysis
 * per pair (and a name's length costs as many loop turns), so all name lengths
 * (0..PROOF_MAX_STR, past the 255 limit) meet bodies of 0..PROOF_SHORT_DATA bytes, and all
 * body lengths (up to PROOF_MAX_DATA, past the 255-byte short frame) meet names of
 * 0..PROOF_SHORT_NAME and of 254..256 characters.
 */
#ifndef PROOF_SHORT_NAME
#define PROOF_SHORT_NAME 8
#endif
#ifndef PROOF_SHORT_DATA
#define PROOF_SHORT_DATA 2
#endif

/* The encoders of a name and its data: mzmtp_wire_encode_command() and
 * mzmtp_wire_encode_property() (the data is the property's value). */
typedef size_t (*name_data_encoder_t)(uint8_t *out, size_t cap, const char *name,
                                      const uint8_t *data, size_t data_len);

static void enc_name_data_case(name_data_encoder_t encode, size_t n_lo, size_t n_hi,
                               size_t d_lo, size_t d_hi)
{
    size_t n = Frama_C_size_t_interval(n_lo, n_hi);
    /*@ split n; */
    const char *name = any_cstr(n);
    if (name == NULL) return;
    /* The size alone, for any data length (the arithmetic that refuses huge ones). */
    (void)encode(NULL, 0, name, NULL, Frama_C_size_t_interval(0, SIZE_MAX));
    size_t data_len = Frama_C_size_t_interval(d_lo, d_hi);
    /*@ split data_len; */
    const uint8_t *data = data_end(data_len);
    size_t need = encode(NULL, 0, name, data, data_len);
    ENCODE_EVERY_CAP(need, encode(out, cap, name, data, data_len));
    free((void *)name);
}

/* The command head the engine writes its commands with (the caller writes the data):
 * every name length 0..PROOF_MAX_STR with any data length. */
static void enc_command_head(void)
{
    fill_nonzero();
    size_t n = Frama_C_size_t_interval(0, PROOF_MAX_STR);
    /*@ split n; */
    const uint8_t *name = any_bytes(n);
    if (name == NULL) return;
    /* data lengths with a short frame header, with a long one, and too long */
    for (int k = 0; k < 3; k++) {
        if (n > 253 && k == 0) continue;
        size_t short_max = n > 253 ? 0 : 254u - n; /* 1 + n + data <= 255 */
        size_t dl = k == 0 ? Frama_C_size_t_interval(0, short_max)
                  : k == 1 ? Frama_C_size_t_interval(short_max + 1u, (size_t)INT64_MAX - 256u)
                           : Frama_C_size_t_interval((size_t)INT64_MAX - 255u, SIZE_MAX);
        size_t need = mzmtp_wire_encode_command_head(NULL, 0, name, n, dl);
        ENCODE_EVERY_CAP(need, mzmtp_wire_encode_command_head(out, cap, name, n, dl));
    }
}

static void enc_command(void)
{
    fill_nonzero();
    enc_name_data_case(mzmtp_wire_encode_command, 0, PROOF_MAX_STR, 0, PROOF_SHORT_DATA);
    enc_name_data_case(mzmtp_wire_encode_command, 0, PROOF_SHORT_NAME, PROOF_SHORT_DATA + 1, PROOF_MAX_DATA);
    enc_name_data_case(mzmtp_wire_encode_command, 254, 256, PROOF_SHORT_DATA + 1, PROOF_MAX_DATA);
}

static void enc_property(void)
{
    fill_nonzero();
    enc_name_data_case(mzmtp_wire_encode_property, 0, PROOF_MAX_STR, 0, PROOF_SHORT_DATA);
    enc_name_data_case(mzmtp_wire_encode_property, 0, PROOF_SHORT_NAME, PROOF_SHORT_DATA + 1, PROOF_MAX_DATA);
    enc_name_data_case(mzmtp_wire_encode_property, 254, 256, PROOF_SHORT_DATA + 1, PROOF_MAX_DATA);
}

int main(void)
{
    decoders();
    compares();
    types();
    enc_greeting();
    enc_frame_hdr();
    enc_command();
    enc_command_head();
    enc_property();
    return 0;
}

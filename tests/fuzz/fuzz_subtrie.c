/*
 * libFuzzer target: the subscription trie (src/util/mzmtp_subtrie.h), which peers fill
 * with their SUBSCRIBE and CANCEL commands. Each input is a sequence of operations on a
 * small pool (so that it fills up), checked against a plain model after each one:
 *   op byte: low 2 bits = subscribe / cancel / forget peer / match, next bits = peer;
 *   then a length byte (topic or message, at most 40) and that many bytes (used mod 4
 *   letters when bit 7 of the op is set, so that prefixes are shared and nodes split).
 * A refused subscription (pool full) must leave the trie as it was; removing every peer
 * must give every cell back; nothing may read or write outside the pool.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "microzmtp/microzmtp.h"
#include "../../src/util/mzmtp_subtrie.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define POOL 40u
#define TOPICS 64u
#define TLEN 40u
typedef struct {
    uint8_t topic[TLEN];
    size_t len;
    mzmtp_peerset_t peers;
} entry_t;

static mzmtp_subtrie_cell_t pool[POOL];
static entry_t model[TOPICS];
static unsigned nmodel;

static entry_t *model_find(const uint8_t *topic, size_t len)
{
    for (unsigned i = 0; i < nmodel; i++) {
        if (model[i].len == len && memcmp(model[i].topic, topic, len) == 0) return &model[i];
    }
    return NULL;
}

static void check(void)
{
    for (unsigned i = 0; i < nmodel; i++) {
        unsigned n = mzmtp_subtrie_find(pool, model[i].topic, model[i].len);
        mzmtp_peerset_t got;
        mzmtp_peerset_clear(&got);
        if (n != MZMTP_SUBTRIE_NONE) mzmtp_subtrie_or_peers(pool, n, &got);
        if (memcmp(&got, &model[i].peers, sizeof got) != 0) abort();
    }
    unsigned nodes = 0;
    for (unsigned n = MZMTP_SUBTRIE_ROOT; n != MZMTP_SUBTRIE_NONE; n = mzmtp_subtrie_next(pool, n)) {
        if (n >= POOL || ++nodes >= POOL) abort();
        if (mzmtp_subtrie_nobody(pool, n)) continue;
        uint8_t buf[TLEN];
        size_t len = mzmtp_subtrie_topic_len(pool, n);
        if (len > TLEN) abort();
        mzmtp_subtrie_topic(pool, n, buf);
        entry_t *e = model_find(buf, len);
        if (e == NULL || mzmtp_peerset_empty(&e->peers)) abort(); /* a value the model lacks */
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    mzmtp_subtrie_init(pool, POOL);
    unsigned before = mzmtp_subtrie_free_cells(pool);
    nmodel = 0;
    size_t at = 0;
    while (at + 2 <= size) {
        uint8_t op = data[at], len = (uint8_t)(data[at + 1] % (TLEN + 1u));
        at += 2;
        if (len > size - at) len = (uint8_t)(size - at);
        uint8_t bytes[TLEN];
        for (size_t k = 0; k < len; k++) bytes[k] = op & 0x80 ? (uint8_t)('a' + data[at + k] % 4u) : data[at + k];
        at += len;
        unsigned p = ((unsigned)op >> 2 & 0x1Fu) % MZMTP_CONF_MAX_PEERS;
        entry_t *e = model_find(bytes, len);
        switch (op & 3u) {
        case 0: { /* subscribe */
            unsigned free_before = mzmtp_subtrie_free_cells(pool);
            unsigned n = mzmtp_subtrie_insert(pool, bytes, len);
            if (n == MZMTP_SUBTRIE_NONE) {
                if (mzmtp_subtrie_free_cells(pool) != free_before) abort();
                break;
            }
            if (!mzmtp_subtrie_peer_add(pool, n, p)) {
                mzmtp_subtrie_prune(pool, n);
                break;
            }
            if (e == NULL) {
                if (nmodel == TOPICS) abort(); /* more topics than the pool can hold */
                e = &model[nmodel++];
                memcpy(e->topic, bytes, len);
                e->len = len;
                mzmtp_peerset_clear(&e->peers);
            }
            mzmtp_peerset_add(&e->peers, p);
            break;
        }
        case 1: { /* cancel */
            unsigned n = mzmtp_subtrie_find(pool, bytes, len);
            if (n != MZMTP_SUBTRIE_NONE) {
                mzmtp_subtrie_peer_del(pool, n, p);
                mzmtp_subtrie_prune(pool, n);
            }
            if (e != NULL) mzmtp_peerset_del(&e->peers, p);
            break;
        }
        case 2: /* the peer leaves */
            mzmtp_subtrie_forget_peer(pool, p);
            for (unsigned i = 0; i < nmodel; i++) mzmtp_peerset_del(&model[i].peers, p);
            break;
        default: { /* a message */
            uint8_t *msg = malloc(len ? len : 1); /* exactly its size: ASan sees an over-read */
            if (msg == NULL) abort();
            memcpy(msg, bytes, len);
            mzmtp_peerset_t got, want;
            mzmtp_subtrie_match_peers(pool, msg, len, &got);
            mzmtp_peerset_clear(&want);
            for (unsigned i = 0; i < nmodel; i++) {
                if (model[i].len <= len && memcmp(model[i].topic, msg, model[i].len) == 0) {
                    mzmtp_peerset_or(&want, &want, &model[i].peers);
                }
            }
            free(msg);
            if (memcmp(&got, &want, sizeof got) != 0) abort();
            break;
        }
        }
        check();
    }
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) mzmtp_subtrie_forget_peer(pool, p);
    if (mzmtp_subtrie_free_cells(pool) != before) abort();
    return 0;
}

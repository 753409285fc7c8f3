/*
 * Micro-benchmark (not a test): topic matching and ROUTER id lookup at 1, 100, 1000 and
 * 5000 peers, the old way (the packed subscription table scanned whole, each topic with a
 * full peer set; a routing id compared with every peer's) against the trie and the hash
 * (src/util/mzmtp_subtrie.h, mzmtp_idmap.h). Each peer subscribes to a topic of its own,
 * "sensor/<n>/", and sends with a 5-byte generated id; a message is "sensor/<n>/reading".
 * The "old" code is the table algorithm of src/socket/socket.c restated here (it is static
 * there). Prints ns per operation and RATIO lines (old time / new time).
 *   make -C bench/index run
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "microzmtp/microzmtp.h"
#include "../../src/util/mzmtp_subtrie.h"
#include "../../src/util/mzmtp_idmap.h"

#define MAXP MZMTP_CONF_MAX_PEERS
#define ENT_HDR (4u + sizeof(mzmtp_peerset_t))

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ---- the old table ---- */
static uint8_t *table;
static size_t table_used;
static void old_add(const uint8_t *topic, size_t len, unsigned p)
{
    uint8_t *e = table + table_used;
    memset(e, 0, ENT_HDR);
    e[0] = (uint8_t)len;
    memcpy(e + ENT_HDR, topic, len);
    uint32_t w;
    memcpy(&w, e + 4 + 4 * (p / 32), 4);
    w |= 1u << (p % 32);
    memcpy(e + 4 + 4 * (p / 32), &w, 4);
    table_used += ENT_HDR + len;
}
static void old_match(const uint8_t *d, size_t len, mzmtp_peerset_t *m)
{
    mzmtp_peerset_clear(m);
    for (size_t off = 0; off < table_used; off += ENT_HDR + table[off]) {
        const uint8_t *e = table + off;
        if (e[0] <= len && mzmtp_util_bytes_eq(e + ENT_HDR, d, e[0])) {
            for (unsigned i = 0; i < MZMTP_PEERSET_WORDS; i++) {
                uint32_t w;
                memcpy(&w, e + 4 + 4 * i, 4);
                m->w[i] |= w;
            }
        }
    }
}

static uint8_t rid[MAXP][MZMTP_CONF_ROUTING_ID_MAX], rid_len[MAXP];
static uint16_t slots[MZMTP_IDMAP_SLOTS];
static int old_find(unsigned n, const uint8_t *id, size_t len)
{
    for (unsigned p = 0; p < n; p++) {
        if (rid_len[p] == len && mzmtp_util_bytes_eq(rid[p], id, len)) return (int)p;
    }
    return -1;
}

static volatile unsigned sink;

int main(void)
{
    static const unsigned sizes[] = {1, 100, 1000, 5000};
    static mzmtp_subtrie_cell_t trie[60000];
    table = malloc((size_t)MAXP * (ENT_HDR + 16));
    if (table == NULL) return 1;
    for (unsigned si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        unsigned n = sizes[si];
        if (n > MAXP) break;
        table_used = 0;
        mzmtp_subtrie_init(trie, sizeof trie / sizeof trie[0]);
        memset(slots, 0, sizeof slots);
        const mzmtp_idmap_keys_t keys = {&rid[0][0], sizeof rid[0], rid_len, 1};
        for (unsigned p = 0; p < n; p++) {
            char t[32];
            int len = snprintf(t, sizeof t, "sensor/%u/", p);
            old_add((const uint8_t *)t, (size_t)len, p);
            unsigned node = mzmtp_subtrie_insert(trie, (const uint8_t *)t, (size_t)len);
            if (node == MZMTP_SUBTRIE_NONE || !mzmtp_subtrie_peer_add(trie, node, p)) return 1;
            uint32_t g = 0x1234u + p * 7919u;
            uint8_t id[5] = {0, (uint8_t)(g >> 24), (uint8_t)(g >> 16), (uint8_t)(g >> 8), (uint8_t)g};
            memcpy(rid[p], id, 5);
            rid_len[p] = 5;
            mzmtp_idmap_insert(slots, MZMTP_IDMAP_SLOTS, &keys, p);
        }
        unsigned iters = n >= 1000 ? 20000 : 200000;
        char msgs[64][40];
        size_t mlen[64];
        for (unsigned k = 0; k < 64; k++) {
            mlen[k] = (size_t)snprintf(msgs[k], sizeof msgs[k], "sensor/%u/reading", (k * 2654435761u) % n);
        }
        double t_old[2], t_new[2];
        for (int impl = 0; impl < 2; impl++) {
            mzmtp_peerset_t m;
            double t0 = now_ns();
            for (unsigned i = 0; i < iters; i++) {
                const uint8_t *d = (const uint8_t *)msgs[i & 63];
                if (impl == 0) old_match(d, mlen[i & 63], &m);
                else mzmtp_subtrie_match_peers(trie, d, mlen[i & 63], &m);
                sink += m.w[0];
            }
            (impl ? t_new : t_old)[0] = (now_ns() - t0) / iters;
            t0 = now_ns();
            for (unsigned i = 0; i < iters; i++) {
                unsigned p = (i * 2654435761u) % n;
                int got = impl == 0 ? old_find(n, rid[p], 5) : mzmtp_idmap_find(slots, MZMTP_IDMAP_SLOTS, &keys, rid[p], 5);
                if (got != (int)p) return 2;
                sink += (unsigned)got;
            }
            (impl ? t_new : t_old)[1] = (now_ns() - t0) / iters;
        }
        /* The two must agree on what matches. */
        for (unsigned k = 0; k < 64; k++) {
            mzmtp_peerset_t a, b;
            old_match((const uint8_t *)msgs[k], mlen[k], &a);
            mzmtp_subtrie_match_peers(trie, (const uint8_t *)msgs[k], mlen[k], &b);
            if (memcmp(&a, &b, sizeof a) != 0) return 3;
        }
        printf("topic_match_%upeers old=%.0fns new=%.0fns\n", n, t_old[0], t_new[0]);
        printf("RATIO topic_match_%upeers %.2f\n", n, t_old[0] / t_new[0]);
        printf("id_lookup_%upeers old=%.0fns new=%.0fns\n", n, t_old[1], t_new[1]);
        printf("RATIO id_lookup_%upeers %.2f\n", n, t_old[1] / t_new[1]);
    }
    free(table);
    return 0;
}

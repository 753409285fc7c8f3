/**
 * @file mzmtp_index.h
 * @brief Storage types of a socket's two indexes, public only so that mzmtp_socket_t can
 *        be allocated statically: the subscription trie (MZMTP_CONF_SUB_TRIE) and the
 *        ROUTER routing-id hash (MZMTP_CONF_ROUTER_HASH). Their code and their rules are
 *        in src/util/mzmtp_subtrie.h and src/util/mzmtp_idmap.h; nothing outside the core
 *        reads these fields.
 */
#ifndef MZMTP_INDEX_H
#define MZMTP_INDEX_H

#include <stdint.h>
#include "mzmtp_config_defaults.h"

/** Topic bytes one trie node holds; a longer topic is a chain of nodes. */
#define MZMTP_SUBTRIE_LABEL 10u
/** Peer-set words one chunk cell holds (5 words: 160 peers). */
#define MZMTP_SUBTRIE_CHUNK_WORDS 5u

/** One 24-byte cell of the subscription trie's pool. Cell 0 is the pool's header, cell 1
 *  the root (the empty topic); index 0 means "none" in every link. */
typedef union mzmtp_subtrie_cell {
    struct {
        uint16_t free;  /* first free cell, 0 = none */
        uint16_t nfree; /* cells free (never used + freed) */
        uint16_t cells; /* cells in the pool, header included */
        uint16_t fresh; /* first cell never used */
        uint16_t qhead; /* first queued node, 0 = none (mzmtp_subtrie_enqueue) */
        uint16_t qtail;
    } hdr;
    struct {
        uint16_t child;   /* first child */
        uint16_t sibling; /* next child of the same parent */
        uint16_t parent;
        uint16_t set;     /* first chunk of the peer set, 0 = no peer */
        uint16_t count;   /* SUB/XSUB: local subscribe calls */
        uint16_t qnext;   /* next queued node */
        uint8_t flags;    /* the socket's bits (XPUB: reported), and QUEUED */
        uint8_t len;      /* label bytes, 0 only in the root */
        uint8_t label[MZMTP_SUBTRIE_LABEL];
    } node;
    struct {
        uint16_t next;  /* next chunk of the same set, higher base */
        uint16_t base;  /* first peer-set word this chunk holds (a multiple of 5) */
        uint32_t w[MZMTP_SUBTRIE_CHUNK_WORDS];
    } chunk;
} mzmtp_subtrie_cell_t;

/* The smallest power of two at or above @p x (1 <= x <= 2^31, unsigned), as a constant
 * expression: x - 1 with every bit below its highest set, plus one. */
#define MZMTP_OR_DOWN_(v, k) ((v) | ((v) >> (k)))
#define MZMTP_POW2_CEIL(x)                                                                 \
    (MZMTP_OR_DOWN_(MZMTP_OR_DOWN_(MZMTP_OR_DOWN_(MZMTP_OR_DOWN_(MZMTP_OR_DOWN_((x) - 1u, 1), \
                                                                 2), 4), 8), 16) + 1u)

/** Routing-id hash slots: a power of two at least twice MZMTP_CONF_MAX_PEERS (and at
 *  least 8), so that linear probes stay short and the table is never full. 2 B each. */
#define MZMTP_IDMAP_SLOTS                                                                  \
    MZMTP_POW2_CEIL(2u * MZMTP_CONF_MAX_PEERS > 8u ? 2u * MZMTP_CONF_MAX_PEERS : 8u)

#endif /* MZMTP_INDEX_H */

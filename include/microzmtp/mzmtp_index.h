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

/** Routing-id hash slots: a power of two at least twice MZMTP_CONF_MAX_PEERS, so that
 *  linear probes stay short and the table is never full. 2 B each. */
#define MZMTP_IDMAP_SLOTS                                                                  \
    (MZMTP_CONF_MAX_PEERS <= 4 ? 8u                                                        \
     : MZMTP_CONF_MAX_PEERS <= 8 ? 16u                                                     \
     : MZMTP_CONF_MAX_PEERS <= 16 ? 32u                                                    \
     : MZMTP_CONF_MAX_PEERS <= 32 ? 64u                                                    \
     : MZMTP_CONF_MAX_PEERS <= 64 ? 128u                                                   \
     : MZMTP_CONF_MAX_PEERS <= 128 ? 256u                                                  \
     : MZMTP_CONF_MAX_PEERS <= 256 ? 512u                                                  \
     : MZMTP_CONF_MAX_PEERS <= 512 ? 1024u                                                 \
     : MZMTP_CONF_MAX_PEERS <= 1024 ? 2048u                                                \
     : MZMTP_CONF_MAX_PEERS <= 2048 ? 4096u                                                \
     : MZMTP_CONF_MAX_PEERS <= 4096 ? 8192u                                                \
     : MZMTP_CONF_MAX_PEERS <= 8192 ? 16384u                                               \
     : MZMTP_CONF_MAX_PEERS <= 16384 ? 32768u                                              \
     : MZMTP_CONF_MAX_PEERS <= 32768 ? 65536u                                              \
                                     : 131072u)

#endif /* MZMTP_INDEX_H */

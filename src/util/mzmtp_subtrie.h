/* The subscription trie (internal, not part of the public API): topics -> peer sets, so
 * that matching a message costs the length of its first frame plus the words of the
 * peer sets it matches, not every peer times every topic (issue 11).
 *
 * A byte trie with path compression, in a pool of 24-byte cells (mzmtp_subtrie_cell_t,
 * include/microzmtp/mzmtp_index.h) that the caller owns: no heap. A node holds up to
 * MZMTP_SUBTRIE_LABEL bytes of topic; the node where a topic ends carries its value:
 *   - a peer set, stored sparse as a list of chunk cells of 5 words (160 peers) each, so
 *     a topic with one subscriber costs one cell whatever MZMTP_CONF_MAX_PEERS is;
 *   - a 16-bit count (SUB/XSUB: the application's subscribe calls) and 8 flag bits.
 * A node whose value is empty (no peer, count 0, flags 0) and that has no children is
 * freed by mzmtp_subtrie_prune() / _gc(), with its empty ancestors. The root (node 1) is
 * the empty topic and is never freed.
 *
 * Node ids are cell indexes: MZMTP_SUBTRIE_ROOT for "", MZMTP_SUBTRIE_NONE (0) for
 * "no node". Every function takes the pool as @p t, borrowed for the call.
 * Nothing here recurses; the deepest loop is bounded by the pool's size.
 */
#ifndef MZMTP_SUBTRIE_H
#define MZMTP_SUBTRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "microzmtp/mzmtp_index.h"
#include "mzmtp_util.h"

#define MZMTP_SUBTRIE_NONE 0u
#define MZMTP_SUBTRIE_ROOT 1u

/** Cells of the smallest usable pool: header, root, and room for one topic of
 *  MZMTP_CONF_MAX_TOPIC bytes and one peer chunk. */
#define MZMTP_SUBTRIE_MIN_CELLS (3u + (MZMTP_CONF_MAX_TOPIC + MZMTP_SUBTRIE_LABEL - 1u) / MZMTP_SUBTRIE_LABEL)

/** Make @p t[0..cells) an empty trie. @p cells: 3..65535 (more are left unused). */
void mzmtp_subtrie_init(mzmtp_subtrie_cell_t *t, size_t cells);

/** @return The node of exactly @p topic[0..len), or MZMTP_SUBTRIE_NONE. */
unsigned mzmtp_subtrie_find(const mzmtp_subtrie_cell_t *t, const uint8_t *topic, size_t len);

/** @return The node of @p topic[0..len), created (with an empty value) if absent, or
 *  MZMTP_SUBTRIE_NONE when the pool cannot take it; then the trie is unchanged. */
unsigned mzmtp_subtrie_insert(mzmtp_subtrie_cell_t *t, const uint8_t *topic, size_t len);

/** Add peer @p p to node @p n's set. @return false (set unchanged) when the pool is full. */
bool mzmtp_subtrie_peer_add(mzmtp_subtrie_cell_t *t, unsigned n, unsigned p);
/** @return true when mzmtp_subtrie_peer_add(@p t, @p n, @p p) would succeed now. */
bool mzmtp_subtrie_peer_can_add(const mzmtp_subtrie_cell_t *t, unsigned n, unsigned p);
/** Remove peer @p p from node @p n's set (nothing if absent). The node stays: prune it. */
void mzmtp_subtrie_peer_del(mzmtp_subtrie_cell_t *t, unsigned n, unsigned p);
bool mzmtp_subtrie_peer_has(const mzmtp_subtrie_cell_t *t, unsigned n, unsigned p);
/** @return true when node @p n's set is empty. */
static inline bool mzmtp_subtrie_nobody(const mzmtp_subtrie_cell_t *t, unsigned n)
{
    return t[n].node.set == 0;
}
/** Add node @p n's peers to @p m. Costs the chunks of the set. */
void mzmtp_subtrie_or_peers(const mzmtp_subtrie_cell_t *t, unsigned n, mzmtp_peerset_t *m);

/** Free node @p n if its value is empty and it has no children, then each ancestor that
 *  is left the same way. @p n must not be used afterwards. */
void mzmtp_subtrie_prune(mzmtp_subtrie_cell_t *t, unsigned n);
/** Remove peer @p p from every set and prune what is left empty. Costs the whole trie. */
void mzmtp_subtrie_forget_peer(mzmtp_subtrie_cell_t *t, unsigned p);
/** Prune every empty node. Costs the whole trie. */
void mzmtp_subtrie_gc(mzmtp_subtrie_cell_t *t);

/** @p m = the union of the sets of every topic that is a prefix of @p d[0..len) (ZMTP
 *  subscriptions match a byte prefix of the first frame). */
void mzmtp_subtrie_match_peers(const mzmtp_subtrie_cell_t *t, const uint8_t *d, size_t len,
                               mzmtp_peerset_t *m);
/** @return true when a topic that is a prefix of @p d[0..len) has a count above 0. */
bool mzmtp_subtrie_match_count(const mzmtp_subtrie_cell_t *t, const uint8_t *d, size_t len);

/** Walk the nodes, the root first (preorder). @return the node after @p n, or
 *  MZMTP_SUBTRIE_NONE after the last. Do not insert or prune during a walk. */
unsigned mzmtp_subtrie_next(const mzmtp_subtrie_cell_t *t, unsigned n);

/** @return The length of node @p n's topic (its bytes from the root). */
size_t mzmtp_subtrie_topic_len(const mzmtp_subtrie_cell_t *t, unsigned n);
/** Write node @p n's topic into @p out, which has room for mzmtp_subtrie_topic_len(). */
void mzmtp_subtrie_topic(const mzmtp_subtrie_cell_t *t, unsigned n, uint8_t *out);

/** The flags bit the trie owns: the node is in the queue (and is not pruned). The socket
 *  uses the other seven. */
#define MZMTP_SUBTRIE_QUEUED 0x80u
/** Append node @p n to the pool's FIFO of nodes that want attention (XPUB: changes the
 *  application has to be told about, in the order they happened); nothing if it is
 *  queued already. A queued node is not pruned. */
void mzmtp_subtrie_enqueue(mzmtp_subtrie_cell_t *t, unsigned n);
/** @return The first queued node, or MZMTP_SUBTRIE_NONE. */
static inline unsigned mzmtp_subtrie_queue_head(const mzmtp_subtrie_cell_t *t)
{
    return t[0].hdr.qhead;
}
/** @return The queued node after @p n, or MZMTP_SUBTRIE_NONE. */
static inline unsigned mzmtp_subtrie_queue_next(const mzmtp_subtrie_cell_t *t, unsigned n)
{
    return t[n].node.qnext;
}
/** Take the first node off the queue (prune it afterwards if it may be empty). */
void mzmtp_subtrie_dequeue(mzmtp_subtrie_cell_t *t);

/** @return Cells free in the pool (for tests and sizing). */
static inline unsigned mzmtp_subtrie_free_cells(const mzmtp_subtrie_cell_t *t)
{
    return t[0].hdr.nfree;
}

#endif /* MZMTP_SUBTRIE_H */

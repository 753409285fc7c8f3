/* The ROUTER's routing-id hash (internal, not part of the public API): routing id ->
 * peer slot in O(id length) instead of a scan of every peer (issue 11).
 *
 * Open addressing with linear probing in a table of 16-bit slots that the caller owns
 * (MZMTP_IDMAP_SLOTS in the socket, include/microzmtp/mzmtp_index.h): a slot holds peer
 * + 1, 0 is empty, so a zeroed table is an empty map. The ids themselves stay where the
 * socket keeps them (its rid[][] and rid_len[] arrays, described by mzmtp_idmap_keys_t):
 * the map only indexes them. Removal shifts the following entries back (no tombstones),
 * so lookups never slow down with churn. The table has at least twice as many slots as
 * peers, so it is never full and a miss ends at an empty slot.
 *
 * The hash is FNV-1a; ids are chosen by peers, so a peer can make its id collide with
 * others': the worst case is then a scan of the colliding peers, no worse than the old
 * linear search.
 */
#ifndef MZMTP_IDMAP_H
#define MZMTP_IDMAP_H

#include <stddef.h>
#include <stdint.h>

/** Where the ids are: peer p's id is ids[p * stride .. + lens[p * len_stride]) (ids and
 *  lengths in separate arrays, or both inside an array of per-peer structs). Borrowed
 *  per call. */
typedef struct mzmtp_idmap_keys {
    const uint8_t *ids;
    size_t stride;
    const uint8_t *lens;
    size_t len_stride;
} mzmtp_idmap_keys_t;

/** @return The peer whose id is @p id[0..len), or -1. @p nslots is a power of two. */
int mzmtp_idmap_find(const uint16_t *slot, size_t nslots, const mzmtp_idmap_keys_t *k,
                     const uint8_t *id, size_t len);
/** Index peer @p p under the id @p k gives it. It must not be in the map already, and the
 *  map must hold fewer than @p nslots - 1 peers. */
void mzmtp_idmap_insert(uint16_t *slot, size_t nslots, const mzmtp_idmap_keys_t *k, unsigned p);
/** Remove peer @p p (indexed under its current id in @p k); nothing if it is not there. */
void mzmtp_idmap_remove(uint16_t *slot, size_t nslots, const mzmtp_idmap_keys_t *k, unsigned p);

#endif /* MZMTP_IDMAP_H */

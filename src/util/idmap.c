/* The ROUTER's routing-id hash (see mzmtp_idmap.h). */
#include "mzmtp_idmap.h"
#include "mzmtp_util.h"

static size_t home(const uint8_t *id, size_t len, size_t nslots)
{
    uint32_t h = 2166136261u; /* FNV-1a, 32 bits */
    for (size_t i = 0; i < len; i++) h = (h ^ id[i]) * 16777619u;
    return (size_t)h & (nslots - 1u);
}

static size_t home_of(const mzmtp_idmap_keys_t *k, unsigned p, size_t nslots)
{
    return home(k->ids + (size_t)p * k->stride, k->lens[(size_t)p * k->len_stride], nslots);
}

int mzmtp_idmap_find(const uint16_t *slot, size_t nslots, const mzmtp_idmap_keys_t *k,
                     const uint8_t *id, size_t len)
{
    for (size_t i = home(id, len, nslots);; i = (i + 1u) & (nslots - 1u)) {
        if (slot[i] == 0) return -1;
        unsigned p = slot[i] - 1u;
        if (k->lens[(size_t)p * k->len_stride] == len && mzmtp_util_bytes_eq(k->ids + (size_t)p * k->stride, id, len)) {
            return (int)p;
        }
    }
}

void mzmtp_idmap_insert(uint16_t *slot, size_t nslots, const mzmtp_idmap_keys_t *k, unsigned p)
{
    size_t i = home_of(k, p, nslots);
    while (slot[i] != 0) i = (i + 1u) & (nslots - 1u);
    slot[i] = (uint16_t)(p + 1u);
}

void mzmtp_idmap_remove(uint16_t *slot, size_t nslots, const mzmtp_idmap_keys_t *k, unsigned p)
{
    size_t mask = nslots - 1u, i = home_of(k, p, nslots);
    while (slot[i] != p + 1u) {
        if (slot[i] == 0) return;
        i = (i + 1u) & mask;
    }
    /* Knuth's deletion for linear probing: move back each following entry whose home is
     * not cyclically in (i, j], so that no probe sequence meets the hole. */
    for (size_t j = (i + 1u) & mask; slot[j] != 0; j = (j + 1u) & mask) {
        size_t h = home_of(k, slot[j] - 1u, nslots);
        bool stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
        if (stays) continue;
        slot[i] = slot[j];
        i = j;
    }
    slot[i] = 0;
}

/* The subscription trie (see mzmtp_subtrie.h for what it keeps and why).
 *
 * Cells are allocated from a free list, then from the never-used tail ("fresh"), and
 * freed onto the free list: every cell is the same size, so the pool never fragments and
 * "full" means every cell is in use. Links are 16-bit cell indexes; 0 (the header) is
 * "none". Children of a node are a sibling list in the order of their first label
 * bytes, which differ, so at most 256 are compared per step of a match, and a walk
 * visits topics in byte order (as libzmq resends them).
 */
#include <string.h>
#include "mzmtp_subtrie.h"

#define NODE(n) (t[(n)].node)
#define CHUNK(c) (t[(c)].chunk)

void mzmtp_subtrie_init(mzmtp_subtrie_cell_t *t, size_t cells)
{
    if (cells > 65535u) cells = 65535u;
    memset(&t[0], 0, sizeof(t[0]) * 2u);
    t[0].hdr.cells = (uint16_t)cells;
    t[0].hdr.fresh = 2;
    t[0].hdr.nfree = (uint16_t)(cells - 2u);
    NODE(MZMTP_SUBTRIE_ROOT).parent = MZMTP_SUBTRIE_ROOT;
}

static unsigned cell_alloc(mzmtp_subtrie_cell_t *t)
{
    unsigned c = t[0].hdr.free;
    if (c != 0) {
        t[0].hdr.free = t[c].hdr.free;
    } else if (t[0].hdr.fresh < t[0].hdr.cells) {
        c = t[0].hdr.fresh++;
    } else {
        return 0;
    }
    t[0].hdr.nfree--;
    memset(&t[c], 0, sizeof(t[c]));
    return c;
}

static void cell_free(mzmtp_subtrie_cell_t *t, unsigned c)
{
    t[c].hdr.free = t[0].hdr.free;
    t[0].hdr.free = (uint16_t)c;
    t[0].hdr.nfree++;
}

/* The child of @p n whose label starts with @p b, or 0. */
static unsigned child_with(const mzmtp_subtrie_cell_t *t, unsigned n, uint8_t b)
{
    unsigned c = NODE(n).child;
    while (c != 0 && NODE(c).label[0] != b) c = NODE(c).sibling;
    return c;
}

/* Does child @p c's whole label follow at @p d[i..len)? */
static bool label_follows(const mzmtp_subtrie_cell_t *t, unsigned c, const uint8_t *d, size_t i,
                          size_t len)
{
    return NODE(c).len <= len - i && mzmtp_util_bytes_eq(NODE(c).label, d + i, NODE(c).len);
}

unsigned mzmtp_subtrie_find(const mzmtp_subtrie_cell_t *t, const uint8_t *topic, size_t len)
{
    unsigned n = MZMTP_SUBTRIE_ROOT;
    for (size_t i = 0; i < len; i += NODE(n).len) {
        unsigned c = child_with(t, n, topic[i]);
        if (c == 0 || !label_follows(t, c, topic, i, len)) return MZMTP_SUBTRIE_NONE;
        n = c;
    }
    return n;
}

/* Replace @p old by @p with in the child list of @p old's parent. */
static void relink(mzmtp_subtrie_cell_t *t, unsigned old, unsigned with)
{
    uint16_t *link = &NODE(NODE(old).parent).child;
    while (*link != old) link = &NODE(*link).sibling;
    *link = (uint16_t)with;
}

/* Bytes of @p topic[i..) that child @p c's label shares (at least 1: its first). */
static size_t shared(const mzmtp_subtrie_cell_t *t, unsigned c, const uint8_t *topic, size_t i,
                     size_t len)
{
    size_t k = 1;
    while (k < NODE(c).len && i + k < len && NODE(c).label[k] == topic[i + k]) k++;
    return k;
}

unsigned mzmtp_subtrie_insert(mzmtp_subtrie_cell_t *t, const uint8_t *topic, size_t len)
{
    /* A dry walk first: the cells needed (a split, then a chain for the rest) are
     * counted, so that a topic the pool cannot take changes nothing. */
    {
        unsigned n = MZMTP_SUBTRIE_ROOT;
        size_t i = 0, need = 0;
        while (i < len) {
            unsigned c = child_with(t, n, topic[i]);
            if (c == 0) break;
            size_t k = shared(t, c, topic, i, len);
            i += k;
            if (k < NODE(c).len) {
                need = 1;
                break;
            }
            n = c;
        }
        need += (len - i + MZMTP_SUBTRIE_LABEL - 1u) / MZMTP_SUBTRIE_LABEL;
        if (need > t[0].hdr.nfree) return MZMTP_SUBTRIE_NONE;
    }
    unsigned n = MZMTP_SUBTRIE_ROOT;
    size_t i = 0;
    while (i < len) {
        unsigned c = child_with(t, n, topic[i]);
        if (c == 0) break;
        size_t k = shared(t, c, topic, i, len);
        if (k < NODE(c).len) {
            /* The topic leaves (or ends inside) c's label: a new node m takes c's first
             * k bytes and c's place; c keeps its cell, value and children below m. */
            unsigned m = cell_alloc(t);
            NODE(m).len = (uint8_t)k;
            memcpy(NODE(m).label, NODE(c).label, k);
            NODE(m).parent = (uint16_t)n;
            NODE(m).sibling = NODE(c).sibling;
            NODE(m).child = (uint16_t)c;
            relink(t, c, m);
            NODE(c).sibling = 0;
            NODE(c).parent = (uint16_t)m;
            NODE(c).len = (uint8_t)(NODE(c).len - k);
            mzmtp_util_move_down(NODE(c).label, NODE(c).label + k, NODE(c).len);
            c = m;
        }
        n = c;
        i += k;
    }
    /* The rest of the topic: a chain of new nodes, the first one a new child of n. */
    while (i < len) {
        unsigned m = cell_alloc(t);
        size_t k = len - i < MZMTP_SUBTRIE_LABEL ? len - i : MZMTP_SUBTRIE_LABEL;
        NODE(m).len = (uint8_t)k;
        memcpy(NODE(m).label, topic + i, k);
        NODE(m).parent = (uint16_t)n;
        uint16_t *link = &NODE(n).child; /* children in byte order, as libzmq walks them */
        while (*link != 0 && NODE(*link).label[0] < topic[i]) link = &NODE(*link).sibling;
        NODE(m).sibling = *link;
        *link = (uint16_t)m;
        n = m;
        i += k;
    }
    return n;
}

/* Peer p's word, the chunk base that holds it, and its bit. */
#define P_WORD(p) ((p) / 32u)
#define P_BASE(p) (P_WORD(p) - P_WORD(p) % MZMTP_SUBTRIE_CHUNK_WORDS)
#define P_BIT(p) ((uint32_t)1u << ((p) % 32u))

/* The link (in the node or the previous chunk) where the chunk of base @p base is or
 * would go: chunks are kept in increasing base. */
static uint16_t *chunk_link(mzmtp_subtrie_cell_t *t, unsigned n, unsigned base)
{
    uint16_t *link = &NODE(n).set;
    while (*link != 0 && CHUNK(*link).base < base) link = &CHUNK(*link).next;
    return link;
}

static unsigned chunk_of(const mzmtp_subtrie_cell_t *t, unsigned n, unsigned p)
{
    unsigned c = NODE(n).set;
    while (c != 0 && CHUNK(c).base < P_BASE(p)) c = CHUNK(c).next;
    return c != 0 && CHUNK(c).base == P_BASE(p) ? c : 0;
}

bool mzmtp_subtrie_peer_add(mzmtp_subtrie_cell_t *t, unsigned n, unsigned p)
{
    uint16_t *link = chunk_link(t, n, P_BASE(p));
    unsigned c = *link;
    if (c == 0 || CHUNK(c).base != P_BASE(p)) {
        unsigned x = cell_alloc(t);
        if (x == 0) return false;
        CHUNK(x).base = (uint16_t)P_BASE(p);
        CHUNK(x).next = (uint16_t)c;
        *link = (uint16_t)x;
        c = x;
    }
    CHUNK(c).w[P_WORD(p) - P_BASE(p)] |= P_BIT(p);
    return true;
}

bool mzmtp_subtrie_peer_can_add(const mzmtp_subtrie_cell_t *t, unsigned n, unsigned p)
{
    return t[0].hdr.nfree > 0 || chunk_of(t, n, p) != 0;
}

void mzmtp_subtrie_peer_del(mzmtp_subtrie_cell_t *t, unsigned n, unsigned p)
{
    uint16_t *link = chunk_link(t, n, P_BASE(p));
    unsigned c = *link;
    if (c == 0 || CHUNK(c).base != P_BASE(p)) return;
    CHUNK(c).w[P_WORD(p) - P_BASE(p)] &= ~P_BIT(p);
    uint32_t any = 0;
    for (unsigned k = 0; k < MZMTP_SUBTRIE_CHUNK_WORDS; k++) any |= CHUNK(c).w[k];
    if (any == 0) {
        *link = CHUNK(c).next;
        cell_free(t, c);
    }
}

bool mzmtp_subtrie_peer_has(const mzmtp_subtrie_cell_t *t, unsigned n, unsigned p)
{
    unsigned c = chunk_of(t, n, p);
    return c != 0 && (CHUNK(c).w[P_WORD(p) - P_BASE(p)] & P_BIT(p)) != 0;
}

void mzmtp_subtrie_or_peers(const mzmtp_subtrie_cell_t *t, unsigned n, mzmtp_peerset_t *m)
{
    for (unsigned c = NODE(n).set; c != 0; c = CHUNK(c).next) {
        for (unsigned k = 0; k < MZMTP_SUBTRIE_CHUNK_WORDS; k++) {
            unsigned w = CHUNK(c).base + k;
            if (w < MZMTP_PEERSET_WORDS) m->w[w] |= CHUNK(c).w[k];
        }
    }
}

void mzmtp_subtrie_enqueue(mzmtp_subtrie_cell_t *t, unsigned n)
{
    if (NODE(n).flags & MZMTP_SUBTRIE_QUEUED) return;
    NODE(n).flags |= MZMTP_SUBTRIE_QUEUED;
    NODE(n).qnext = 0;
    if (t[0].hdr.qhead == 0) {
        t[0].hdr.qhead = (uint16_t)n;
    } else {
        NODE(t[0].hdr.qtail).qnext = (uint16_t)n;
    }
    t[0].hdr.qtail = (uint16_t)n;
}

void mzmtp_subtrie_dequeue(mzmtp_subtrie_cell_t *t)
{
    unsigned n = t[0].hdr.qhead;
    if (n == 0) return;
    t[0].hdr.qhead = NODE(n).qnext;
    NODE(n).flags = (uint8_t)(NODE(n).flags & ~MZMTP_SUBTRIE_QUEUED);
}

static bool idle_leaf(const mzmtp_subtrie_cell_t *t, unsigned n)
{
    return n != MZMTP_SUBTRIE_ROOT && NODE(n).child == 0 && NODE(n).set == 0 &&
           NODE(n).count == 0 && NODE(n).flags == 0;
}

/* Unlink the leaf @p n from its parent and free it. */
static void drop_leaf(mzmtp_subtrie_cell_t *t, unsigned n)
{
    relink(t, n, NODE(n).sibling);
    cell_free(t, n);
}

void mzmtp_subtrie_prune(mzmtp_subtrie_cell_t *t, unsigned n)
{
    while (idle_leaf(t, n)) {
        unsigned parent = NODE(n).parent;
        drop_leaf(t, n);
        n = parent;
    }
}

static unsigned deepest_first(const mzmtp_subtrie_cell_t *t, unsigned n)
{
    while (NODE(n).child != 0) n = NODE(n).child;
    return n;
}

void mzmtp_subtrie_gc(mzmtp_subtrie_cell_t *t)
{
    /* Postorder without a stack: a node is visited after all its children, so a parent
     * whose children have all gone is a leaf by the time it is looked at. */
    unsigned n = deepest_first(t, MZMTP_SUBTRIE_ROOT);
    while (n != MZMTP_SUBTRIE_ROOT) {
        unsigned next = NODE(n).sibling ? deepest_first(t, NODE(n).sibling) : NODE(n).parent;
        if (idle_leaf(t, n)) drop_leaf(t, n);
        n = next;
    }
}

void mzmtp_subtrie_forget_peer(mzmtp_subtrie_cell_t *t, unsigned p)
{
    for (unsigned n = MZMTP_SUBTRIE_ROOT; n != MZMTP_SUBTRIE_NONE; n = mzmtp_subtrie_next(t, n)) {
        if (NODE(n).set != 0) mzmtp_subtrie_peer_del(t, n, p);
    }
    mzmtp_subtrie_gc(t);
}

void mzmtp_subtrie_match_peers(const mzmtp_subtrie_cell_t *t, const uint8_t *d, size_t len,
                               mzmtp_peerset_t *m)
{
    mzmtp_peerset_clear(m);
    unsigned n = MZMTP_SUBTRIE_ROOT;
    for (size_t i = 0;; i += NODE(n).len) {
        mzmtp_subtrie_or_peers(t, n, m);
        if (i == len) return;
        unsigned c = child_with(t, n, d[i]);
        if (c == 0 || !label_follows(t, c, d, i, len)) return;
        n = c;
    }
}

bool mzmtp_subtrie_match_count(const mzmtp_subtrie_cell_t *t, const uint8_t *d, size_t len)
{
    unsigned n = MZMTP_SUBTRIE_ROOT;
    for (size_t i = 0;; i += NODE(n).len) {
        if (NODE(n).count > 0) return true;
        if (i == len) return false;
        unsigned c = child_with(t, n, d[i]);
        if (c == 0 || !label_follows(t, c, d, i, len)) return false;
        n = c;
    }
}

unsigned mzmtp_subtrie_next(const mzmtp_subtrie_cell_t *t, unsigned n)
{
    if (NODE(n).child != 0) return NODE(n).child;
    while (n != MZMTP_SUBTRIE_ROOT) {
        if (NODE(n).sibling != 0) return NODE(n).sibling;
        n = NODE(n).parent;
    }
    return MZMTP_SUBTRIE_NONE;
}

size_t mzmtp_subtrie_topic_len(const mzmtp_subtrie_cell_t *t, unsigned n)
{
    size_t len = 0;
    for (; n != MZMTP_SUBTRIE_ROOT; n = NODE(n).parent) len += NODE(n).len;
    return len;
}

void mzmtp_subtrie_topic(const mzmtp_subtrie_cell_t *t, unsigned n, uint8_t *out)
{
    size_t end = mzmtp_subtrie_topic_len(t, n);
    for (; n != MZMTP_SUBTRIE_ROOT; n = NODE(n).parent) {
        end -= NODE(n).len;
        memcpy(out + end, NODE(n).label, NODE(n).len);
    }
}

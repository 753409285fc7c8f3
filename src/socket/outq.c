/*
 * The send ring: one socket's outgoing messages, encoded as ZMTP frames once and shared
 * by every peer that must write them (docs/architecture.md, "the send ring").
 *
 * Bytes live in a caller-provided ring; each committed message takes one slot that holds
 * its offset and length. A message is contiguous in memory, so consecutive messages for
 * one peer are usually one contiguous run: a port can write many messages with one system
 * call. Each peer ("pipe") has a cursor, the sequence number of the next slot it looks at;
 * a slot is freed when no peer needs it any more; bytes are reclaimed oldest first.
 *
 * Who a slot is for, two ways (MZMTP_OUTQ_WIDE, mzmtp_conn.h):
 * - up to 32 peers, the slot holds the set of peers still to write it, one word; a peer
 *   leaves it when done, and the slot is free once it is empty;
 * - beyond, the slot names its peers once, through a recipient set shared by the
 *   consecutive messages sent to the same peers (a group) or a single peer id, and counts
 *   the peers still holding it. A peer is done with a slot when its cursor has passed it;
 *   slots it dropped without writing (shed) lie in one range per peer (skip_lo..skip_hi).
 *   Committing a message, and each peer's step over it, then cost O(1) in the size of
 *   the sets; only the queued counts of the recipients (the send HWM) are touched one by
 *   one, as the socket touches them for its HWM check.
 *
 * With MZMTP_CONF_TX_ACK a peer lets go of a slot only when the bytes it wrote are
 * acknowledged (mzmtp_outq_acked()): a TCP stack that keeps pointers into the ring (lwIP
 * without TCP_WRITE_FLAG_COPY) reads them until then. Each pipe then has two positions:
 * written (cursor, sent) and acknowledged (ack_cursor, ack_sent), the second never ahead
 * of the first. Slots between them are "pinned": compaction leaves them where they are.
 */
#include <string.h>
#include "microzmtp/mzmtp_conn.h"
#include "../util/mzmtp_util.h"

/* Bytes a slot puts on the wire: its ring bytes, then a body by reference. */
#if MZMTP_CONF_SEND_REF
#define SLOT_TOTAL(s) ((size_t)(s)->len + (s)->ext_len)
#else
#define SLOT_TOTAL(s) ((size_t)(s)->len)
#endif

static uint32_t slot_index(const mzmtp_outq_t *q, uint32_t seq)
{
    return (q->first + (seq - q->seq_first)) % MZMTP_CONF_SEND_SLOTS;
}

static bool seq_before(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static uint32_t settle(mzmtp_outq_t *q, unsigned pipe);
static void mark_dead(mzmtp_outq_t *q, const mzmtp_outq_slot_t *s);

#if MZMTP_OUTQ_WIDE
#define NO_GROUP 0xFEu

static bool in_range(uint32_t seq, uint32_t lo, uint32_t hi)
{
    return !seq_before(seq, lo) && seq_before(seq, hi);
}

/* Was the slot numbered @p seq forgotten by @p pp (shed before it was started)? */
static bool skipped(const mzmtp_outq_pipe_t *pp, uint32_t seq)
{
#if MZMTP_CONF_TX_ACK
    if (in_range(seq, pp->old_lo, pp->old_hi)) return true;
#endif
    return in_range(seq, pp->skip_lo, pp->skip_hi);
}

/* Is @p s among the slots @p pipe was given at commit? */
static bool addressed(const mzmtp_outq_t *q, const mzmtp_outq_slot_t *s, unsigned pipe)
{
    unsigned g = s->grp;
    return g < MZMTP_CONF_SEND_GROUPS ? mzmtp_peerset_has(&q->group[g].members, pipe)
                                      : s->to == pipe;
}

/* Does @p pipe hold slot @p s, numbered @p seq, when its positions have not passed it?
 * (Behind them it has let go of it, or never had it: a pipe attached late.) */
static bool wants(const mzmtp_outq_t *q, const mzmtp_outq_slot_t *s, unsigned pipe,
                  uint32_t seq)
{
    return addressed(q, s, pipe) && !skipped(&q->pipe[pipe], seq);
}

/* Does @p pp hold no slot at all (nothing queued, nothing written and unacknowledged)? */
static bool idle(const mzmtp_outq_pipe_t *pp)
{
#if MZMTP_CONF_TX_ACK
    if (pp->ack_cursor != pp->cursor || pp->ack_sent != pp->sent) return false;
#endif
    return pp->queued == 0;
}

/* Put every position of the idle @p pp on the slot numbered @p seq, where settle() would
 * take them: a pipe that holds nothing may go unvisited for 2^31 messages, and its old
 * numbers would then compare the wrong way (seq_before). */
static void move_all_to(mzmtp_outq_pipe_t *pp, uint32_t seq)
{
    pp->cursor = pp->skip_lo = pp->skip_hi = seq;
    pp->sent = 0;
#if MZMTP_CONF_TX_ACK
    pp->ack_cursor = pp->old_lo = pp->old_hi = seq;
    pp->ack_sent = 0;
#endif
}

/* @p pipe lets go of @p s. */
static void let_go(mzmtp_outq_t *q, mzmtp_outq_slot_t *s, unsigned pipe)
{
    (void)pipe;
    if (--s->refs == 0) mark_dead(q, s);
}

#define SLOT_FREE(s) ((s)->refs == 0)

static void group_put(mzmtp_outq_t *q, unsigned g)
{
    if (g < MZMTP_CONF_SEND_GROUPS) q->group[g].slots--;
}
#else
#define wants(q, s, pipe, seq) mzmtp_peerset_has(&(s)->mask, (pipe))

#define let_go(q, s, pipe)                                                                 \
    do {                                                                                   \
        mzmtp_peerset_del(&(s)->mask, (pipe));                                             \
        if (mzmtp_peerset_empty(&(s)->mask)) mark_dead((q), (s));                          \
    } while (0)

#define SLOT_FREE(s) mzmtp_peerset_empty(&(s)->mask)
#endif

void mzmtp_outq_init(mzmtp_outq_t *q, uint8_t *data, size_t size)
{
    memset(q, 0, sizeof(*q));
    q->data = data;
    q->size = size > UINT32_MAX ? UINT32_MAX : (uint32_t)size;
}

/* Slot @p s has just lost its last peer. */
static void mark_dead(mzmtp_outq_t *q, const mzmtp_outq_slot_t *s)
{
    q->dead_slots++;
    q->dead_bytes += s->len;
}

/* Drop fully written slots from the front and reclaim their bytes. */
static void reclaim(mzmtp_outq_t *q)
{
    while (q->count > 0 && SLOT_FREE(&q->slot[q->first])) {
        q->dead_slots--;
        q->dead_bytes -= q->slot[q->first].len;
#if MZMTP_OUTQ_WIDE
        group_put(q, q->slot[q->first].grp);
#endif
#if MZMTP_CONF_SEND_REF
        if (q->slot[q->first].ext_len) q->ext_live--;
#endif
        q->first = (q->first + 1u) % MZMTP_CONF_SEND_SLOTS;
        q->seq_first++;
        q->count--;
        if (q->wrap_end != 0 && q->seq_first == q->wrap_seq) q->wrap_end = 0;
    }
    if (q->count == 0) {
        q->wrap_end = 0;
        if (!q->open) q->bhead = 0;
    }
}

#if MZMTP_OUTQ_WIDE
static void open_message(mzmtp_outq_t *q)
{
    if (q->open && !q->open_drop) group_put(q, q->open_grp); /* a begin replaces it */
    reclaim(q);
    q->open = true;
    q->open_off = q->bhead;
    q->open_len = 0;
    q->open_drop = false;
    if (++q->open_gen == 0) q->open_gen = 1; /* 0: no open message left by anyone */
}

/* The group whose members are exactly @p mask (the last one used is tried first, then
 * the others), or a free one made of it; NO_GROUP when every group is taken. */
static unsigned intern(mzmtp_outq_t *q, const mzmtp_peerset_t *mask)
{
    unsigned g = q->last_grp, spare = NO_GROUP;
    for (unsigned i = 0; i < MZMTP_CONF_SEND_GROUPS; i++) {
        mzmtp_outq_group_t *gr = &q->group[g];
        if (gr->slots == 0) {
            if (spare == NO_GROUP) spare = g;
        } else if (memcmp(&gr->members, mask, sizeof(*mask)) == 0) {
            return g;
        }
        g = (g + 1u) % MZMTP_CONF_SEND_GROUPS;
    }
    if (spare != NO_GROUP) q->group[spare].members = *mask;
    return spare;
}

void mzmtp_outq_begin(mzmtp_outq_t *q, mzmtp_peerset_t mask)
{
    open_message(q);
    q->open_grp = NO_GROUP;
    q->open_drop = mzmtp_peerset_empty(&mask);
    if (q->open_drop) return;
    unsigned g = intern(q, &mask);
    if (g != NO_GROUP) {
        q->group[g].slots++; /* held by the open message, then by its slot */
        q->last_grp = (uint8_t)g;
    }
    q->open_grp = (uint8_t)g;
}

void mzmtp_outq_begin_one(mzmtp_outq_t *q, unsigned pipe)
{
    open_message(q);
    q->open_grp = MZMTP_OUTQ_ONE;
    q->open_to = (uint16_t)pipe;
}

/* No slot to start a message in: every one is used, or (wide) no group was free. */
#define NO_SLOT(q) ((q)->count >= MZMTP_CONF_SEND_SLOTS || (q)->open_grp == NO_GROUP)
#else
void mzmtp_outq_begin(mzmtp_outq_t *q, mzmtp_peerset_t mask)
{
    reclaim(q);
    q->open = true;
    q->open_off = q->bhead;
    q->open_len = 0;
    q->open_mask = mask;
    q->open_drop = mzmtp_peerset_empty(&mask);
}

void mzmtp_outq_begin_one(mzmtp_outq_t *q, unsigned pipe)
{
    mzmtp_outq_begin(q, mzmtp_peerset_of(pipe));
}

#define NO_SLOT(q) ((q)->count >= MZMTP_CONF_SEND_SLOTS)
#endif

/* Where @p need more bytes can follow the @p held bytes of the message at the ring's head:
 * FITS_NOT nowhere, FITS_HERE right after them (at bhead), FITS_WRAP only with the message
 * moved to the start of the ring (the end is too short, the start is free up to the
 * oldest slot). One computation for both the planning (can_take: @p held 0) and the
 * adding (reserve), so that the two agree. (In the wrapped ring bhead is at most the
 * oldest slot's offset; after the wrap nothing is free before bhead.) */
enum { FITS_NOT, FITS_HERE, FITS_WRAP };
static unsigned fits(const mzmtp_outq_t *q, uint32_t held, size_t need)
{
    if (q->wrap_end != 0) return need <= (size_t)(q->slot[q->first].off - q->bhead);
    if (need <= (size_t)(q->size - q->bhead)) return FITS_HERE;
    uint32_t limit = q->count > 0 ? q->slot[q->first].off : q->size;
    return need <= limit && held <= limit - need ? FITS_WRAP : FITS_NOT;
}

/* Make room for @p need more bytes right after the open message, moving the open message
 * to the start of the ring when the end is too short. */
static bool reserve(mzmtp_outq_t *q, uint32_t need)
{
    unsigned where = fits(q, q->open_len, need);
    if (where == FITS_WRAP) {
        mzmtp_util_move_down(q->data, q->data + q->open_off, q->open_len);
        if (q->count > 0) {
            q->wrap_end = q->open_off;
            q->wrap_seq = q->seq_first + q->count;
        }
        q->open_off = 0;
        q->bhead = q->open_len;
    }
    return where != FITS_NOT;
}

static void rollback(mzmtp_outq_t *q)
{
    q->bhead = q->open_off;
    q->open = false;
#if MZMTP_OUTQ_WIDE
    if (!q->open_drop) group_put(q, q->open_grp);
    q->open_grp = NO_GROUP;
#endif
#if MZMTP_CONF_SEND_REF
    q->open_ext = NULL;
    q->open_ext_len = 0;
#endif
    reclaim(q);
}

void mzmtp_outq_cancel(mzmtp_outq_t *q)
{
    if (q->open) rollback(q);
}

/* No room now for @p need more bytes of the open message. If the whole message could
 * never fit the ring, it is rolled back (MZMTP_ERR_NO_MEMORY); otherwise the ring is
 * only full for now (MZMTP_AGAIN): the frame is not added and the open message, if it
 * has frames already, stays open for the same frame to be offered again. */
static mzmtp_status_t refuse(mzmtp_outq_t *q, uint64_t need)
{
    if ((uint64_t)q->open_len + need > q->size) {
        rollback(q);
        return MZMTP_ERR_NO_MEMORY;
    }
    if (q->open_len == 0) rollback(q);
    return MZMTP_AGAIN;
}

#if MZMTP_OUTQ_WIDE
/* Count @p pipe among the holders of the message being committed as number @p seq,
 * unless it left while the message was open (attached again since, its cursor is on
 * @p seq: the slot is marked skipped for it). @return 1 if counted, else 0. */
static uint16_t take(mzmtp_outq_t *q, unsigned pipe, uint32_t seq)
{
    if (pipe >= MZMTP_CONF_MAX_PEERS) return 0; /* (no such bit is ever set) */
    mzmtp_outq_pipe_t *pp = &q->pipe[pipe];
    if (idle(pp)) move_all_to(pp, seq);
    bool left = pp->excl == q->open_gen;
    pp->excl = 0; /* (never a generation: an old mark cannot match one 2^32 begins later) */
    if (left) {
        pp->skip_lo = seq;
        pp->skip_hi = seq + 1u;
        return 0;
    }
    pp->queued++;
    return 1;
}
#endif

static void commit(mzmtp_outq_t *q)
{
    q->open = false;
#if MZMTP_OUTQ_WIDE
    if (q->open_drop || q->open_grp == NO_GROUP) { /* (add_frame refuses the latter) */
        rollback(q);
        return;
    }
    /* The number is used even if every peer left meanwhile (the slot is then dead at
     * once): a peer marked to skip it must not skip the next message instead. */
    uint32_t seq = q->seq_first + q->count;
    uint16_t refs = 0;
    if (q->open_grp < MZMTP_CONF_SEND_GROUPS) {
        MZMTP_PEERSET_FOR_EACH(p, &q->group[q->open_grp].members) refs += take(q, p, seq);
    } else {
        refs = take(q, q->open_to, seq);
    }
    mzmtp_outq_slot_t *s = &q->slot[(q->first + q->count) % MZMTP_CONF_SEND_SLOTS];
    s->off = q->open_off;
    s->len = q->open_len;
    s->refs = refs;
    s->to = q->open_to;
    s->grp = q->open_grp;
    if (refs == 0) mark_dead(q, s);
#else
    if (q->open_drop || mzmtp_peerset_empty(&q->open_mask)) {
        rollback(q);
        return;
    }
    mzmtp_outq_slot_t *s = &q->slot[(q->first + q->count) % MZMTP_CONF_SEND_SLOTS];
    s->off = q->open_off;
    s->len = q->open_len;
    s->mask = q->open_mask;
#endif
#if MZMTP_CONF_SEND_REF
    s->ext = q->open_ext;
    s->ext_len = q->open_ext_len;
    if (s->ext_len) q->ext_live++;
    q->open_ext = NULL;
    q->open_ext_len = 0;
#endif
    q->count++;
#if MZMTP_OUTQ_WIDE
    q->open_grp = NO_GROUP; /* the slot holds the group now */
    reclaim(q);
#else
    MZMTP_PEERSET_FOR_EACH(p, &q->open_mask) q->pipe[p].queued++;
#endif
}

mzmtp_status_t mzmtp_outq_add_frame(mzmtp_outq_t *q, const uint8_t *data, size_t len,
                                    bool more)
{
    if (!q->open) return MZMTP_ERR_STATE;
    if (q->open_drop) {
        if (!more) q->open = false;
        return MZMTP_OK;
    }
    size_t hdr = mzmtp_wire_frame_hdr_size(len);
    if (len > UINT32_MAX - hdr || hdr + len > (size_t)(UINT32_MAX - q->open_len)) {
        rollback(q);
        return MZMTP_ERR_NO_MEMORY;
    }
    if (q->open_len == 0 && NO_SLOT(q)) return refuse(q, hdr + len);
    if (!reserve(q, (uint32_t)(hdr + len))) return refuse(q, hdr + len);
    uint8_t *at = q->data + q->bhead;
    (void)mzmtp_util_put_frame_hdr(at, more ? MZMTP_FLAG_MORE : 0, len);
    if (len) memcpy(at + hdr, data, len);
    q->bhead += (uint32_t)(hdr + len);
    q->open_len += (uint32_t)(hdr + len);
    if (!more) commit(q);
    return MZMTP_OK;
}

mzmtp_status_t mzmtp_outq_add_encoded(mzmtp_outq_t *q, const uint8_t *frames, size_t len)
{
    if (!q->open) return MZMTP_ERR_STATE;
    if (q->open_drop || len == 0) return MZMTP_OK;
    if (len > (size_t)(UINT32_MAX - q->open_len)) {
        rollback(q);
        return MZMTP_ERR_NO_MEMORY;
    }
    if ((q->open_len == 0 && NO_SLOT(q)) || !reserve(q, (uint32_t)len))
        return refuse(q, len);
    memcpy(q->data + q->bhead, frames, len);
    q->bhead += (uint32_t)len;
    q->open_len += (uint32_t)len;
    return MZMTP_OK;
}

#if MZMTP_CONF_SEND_REF
mzmtp_status_t mzmtp_outq_add_ref(mzmtp_outq_t *q, const uint8_t *data, size_t len)
{
    if (!q->open) return MZMTP_ERR_STATE;
    if (q->open_drop) {
        q->open = false;
        return MZMTP_OK;
    }
    size_t hdr = mzmtp_wire_frame_hdr_size(len);
    /* The whole message (ring bytes and body) is counted in 32 bits. */
    if ((uint64_t)q->open_len + hdr + len > UINT32_MAX) {
        rollback(q);
        return MZMTP_ERR_NO_MEMORY;
    }
    if ((q->open_len == 0 && NO_SLOT(q)) || !reserve(q, (uint32_t)hdr))
        return refuse(q, hdr);
    q->bhead += (uint32_t)mzmtp_util_put_frame_hdr(q->data + q->bhead, 0, len);
    q->open_len += (uint32_t)hdr;
    q->open_ext = len ? data : NULL;
    q->open_ext_len = (uint32_t)len;
    commit(q);
    return MZMTP_OK;
}

uint32_t mzmtp_outq_refs(const mzmtp_outq_t *q) { return q->ext_live; }
#endif

#if MZMTP_OUTQ_WIDE
static bool groups_taken(const mzmtp_outq_t *q)
{
    for (unsigned g = 0; g < MZMTP_CONF_SEND_GROUPS; g++) {
        if (q->group[g].slots == 0) return false;
    }
    return true;
}
#else
#define groups_taken(q) false
#endif

bool mzmtp_outq_can_take(const mzmtp_outq_t *q, size_t len)
{
    if (q->count >= MZMTP_CONF_SEND_SLOTS || groups_taken(q)) return false;
    /* (An empty ring is never wrapped, and fits() then asks need <= size.) */
    return fits(q, 0, mzmtp_wire_frame_hdr_size(len) + len) != FITS_NOT;
}

size_t mzmtp_outq_room(const mzmtp_outq_t *q)
{
    if (q->count >= MZMTP_CONF_SEND_SLOTS || q->open) return 0;
    if (q->count == 0) return q->size;
    uint32_t first_off = q->slot[q->first].off;
    if (q->wrap_end == 0) return q->size - q->bhead > first_off ? q->size - q->bhead : first_off;
    return first_off - q->bhead;
}

void mzmtp_outq_pipe_attach(mzmtp_outq_t *q, unsigned pipe)
{
    q->pipe[pipe].cursor = q->seq_first + q->count;
    q->pipe[pipe].sent = 0;
    q->pipe[pipe].queued = 0;
#if MZMTP_CONF_TX_ACK
    q->pipe[pipe].ack_cursor = q->pipe[pipe].cursor;
    q->pipe[pipe].ack_sent = 0;
#endif
#if MZMTP_OUTQ_WIDE
    q->pipe[pipe].skip_lo = q->pipe[pipe].skip_hi = q->pipe[pipe].cursor;
#if MZMTP_CONF_TX_ACK
    q->pipe[pipe].old_lo = q->pipe[pipe].old_hi = q->pipe[pipe].cursor;
#endif
#endif
}

/* Move a position of @p pipe (slot number *at, *done bytes of it) over @p n bytes of the
 * slots it holds, never onto the slot numbered @p stop: its written position (the pipe's
 * cursor, counting @p queued down) or its acknowledged one. Each slot passed whole is let
 * go of when @p release. @return the bytes of @p n left over on reaching @p stop. */
static size_t walk(mzmtp_outq_t *q, unsigned pipe, uint32_t *at, uint32_t *done,
                   uint32_t stop, size_t n, bool release, uint32_t *queued)
{
    while (n > 0 && *at != stop) {
        mzmtp_outq_slot_t *s = &q->slot[slot_index(q, *at)];
        if (!wants(q, s, pipe, *at)) { /* (not started: *done is 0) */
            (*at)++;
            continue;
        }
        size_t rem = SLOT_TOTAL(s) - *done;
        if (n < rem) {
            *done += (uint32_t)n;
            return 0;
        }
        n -= rem;
        if (release) let_go(q, s, pipe);
        if (queued) (*queued)--;
        *done = 0;
        (*at)++;
    }
    return n;
}

#if MZMTP_CONF_TX_ACK
/* Move the pipe's acknowledged position past slots that are not for it, never past its
 * written position. (settle() first: the written one is then inside the ring.) */
static void settle_ack(mzmtp_outq_t *q, unsigned pipe)
{
    mzmtp_outq_pipe_t *pp = &q->pipe[pipe];
    if (pp->ack_cursor - q->seq_first > q->count) { /* outside the ring, as in settle() */
        pp->ack_cursor = q->seq_first;
        pp->ack_sent = 0;
    }
    while (pp->ack_cursor != pp->cursor &&
           !wants(q, &q->slot[slot_index(q, pp->ack_cursor)], pipe, pp->ack_cursor)) {
        pp->ack_cursor++;
        pp->ack_sent = 0;
    }
}

void mzmtp_outq_acked(mzmtp_outq_t *q, unsigned pipe, size_t n)
{
    if (pipe >= MZMTP_CONF_MAX_PEERS) return;
    mzmtp_outq_pipe_t *pp = &q->pipe[pipe];
    (void)settle(q, pipe);
    settle_ack(q, pipe);
    n = walk(q, pipe, &pp->ack_cursor, &pp->ack_sent, pp->cursor, n, true, NULL);
    /* The rest: of the message being written, acknowledged up to what was written. */
    if (n > 0 && pp->sent > pp->ack_sent) {
        size_t k = pp->sent - pp->ack_sent;
        pp->ack_sent += (uint32_t)(n < k ? n : k);
    }
    reclaim(q);
}

void mzmtp_outq_acked_all(mzmtp_outq_t *q, unsigned pipe)
{
    if (pipe >= MZMTP_CONF_MAX_PEERS) return;
    mzmtp_outq_pipe_t *pp = &q->pipe[pipe];
    (void)settle(q, pipe);
    settle_ack(q, pipe);
    for (; pp->ack_cursor != pp->cursor; pp->ack_cursor++) {
        mzmtp_outq_slot_t *s = &q->slot[slot_index(q, pp->ack_cursor)];
        if (wants(q, s, pipe, pp->ack_cursor)) let_go(q, s, pipe);
    }
    pp->ack_sent = pp->sent;
    reclaim(q);
}
#endif

/* @p pipe lets go of the slots it holds numbered @p seq up to @p end (not started). */
static void let_go_from(mzmtp_outq_t *q, unsigned pipe, uint32_t seq, uint32_t end)
{
    for (; seq != end; seq++) {
        mzmtp_outq_slot_t *s = &q->slot[slot_index(q, seq)];
        if (!wants(q, s, pipe, seq)) continue;
        let_go(q, s, pipe);
        q->pipe[pipe].queued--;
    }
}

#if MZMTP_OUTQ_WIDE
#if MZMTP_CONF_TX_ACK
#define ACK_POS(pp) ((pp)->ack_cursor)
#else
#define ACK_POS(pp) ((pp)->cursor)
#endif

/* Is the range lo..hi - 1 of @p pp still needed: not empty, and not yet passed by its
 * acknowledged position (which then has to step over it)? */
#define RANGE_LIVE(pp, lo, hi) ((lo) != (hi) && seq_before(ACK_POS(pp), (hi)))

/* Into @p lo, the first slot @p pipe would forget (past the one it is writing, unless
 * @p all). @return false when its ranges cannot record them now. */
static bool forget_from(const mzmtp_outq_pipe_t *pp, bool all, uint32_t *lo)
{
    *lo = pp->cursor + (!all && pp->sent > 0 ? 1u : 0u);
#if MZMTP_CONF_TX_ACK
    /* Written slots waiting for their acknowledgement between the last range and this
     * one: the last one becomes the old one, if that is free. */
    if (RANGE_LIVE(pp, pp->skip_lo, pp->skip_hi) && seq_before(pp->skip_hi, *lo) &&
        RANGE_LIVE(pp, pp->old_lo, pp->old_hi)) {
        return false;
    }
#endif
    return true;
}

/* Let go of the messages @p pipe holds and has not started (all of them if @p all), and
 * record them as skipped. The new range joins the last one when that is still needed (not
 * yet passed by the acknowledged position) and they touch. With MZMTP_CONF_TX_ACK written
 * slots waiting for their acknowledgement may lie between the two: the last one is then
 * kept as the old one; when that is taken too, nothing is forgotten now (the peer keeps
 * its queue until its acknowledgements catch up, and is not among the oldest holders). */
static void forget(mzmtp_outq_t *q, unsigned pipe, bool all)
{
    mzmtp_outq_pipe_t *pp = &q->pipe[pipe];
    uint32_t end = settle(q, pipe), lo;
#if MZMTP_CONF_TX_ACK
    settle_ack(q, pipe);
#endif
    if (!forget_from(pp, all, &lo)) return;
    uint32_t from = lo;
    if (RANGE_LIVE(pp, pp->skip_lo, pp->skip_hi)) {
        if (!seq_before(pp->skip_hi, lo)) {
            if (seq_before(pp->skip_lo, lo)) from = pp->skip_lo; /* they touch: one range */
        } else {
#if MZMTP_CONF_TX_ACK
            pp->old_lo = pp->skip_lo;
            pp->old_hi = pp->skip_hi;
#endif
        }
    }
    let_go_from(q, pipe, lo, end);
    pp->skip_lo = from;
    pp->skip_hi = end;
    reclaim(q);
}

/* The number of the first slot @p pipe holds and has not started, or the end. */
static uint32_t first_unstarted(const mzmtp_outq_t *q, unsigned pipe)
{
    const mzmtp_outq_pipe_t *pp = &q->pipe[pipe];
    uint32_t end = q->seq_first + q->count, seq = pp->cursor;
    if (seq - q->seq_first > q->count) { /* outside the ring, as in settle() */
        seq = q->seq_first;
    } else if (pp->sent != 0) {
        seq++; /* the one it is writing */
    }
    while (seq != end && !wants(q, &q->slot[slot_index(q, seq)], pipe, seq)) seq++;
    return seq;
}

/* Two passes over the pipes with something queued: the oldest such slot, then who holds
 * it unstarted. (The slots do not know their peers: the pipes do.) */
mzmtp_peerset_t mzmtp_outq_oldest_mask(const mzmtp_outq_t *q)
{
    mzmtp_peerset_t m;
    mzmtp_peerset_clear(&m);
    const uint32_t end = q->seq_first + q->count;
    uint32_t best = end;
    uint32_t lo;
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        if (q->pipe[p].queued == 0 || !forget_from(&q->pipe[p], false, &lo)) continue;
        uint32_t u = first_unstarted(q, p);
        if (u != end && seq_before(u, best)) best = u;
    }
    if (best == end) return m;
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        if (q->pipe[p].queued == 0 || !forget_from(&q->pipe[p], false, &lo)) continue;
        if (first_unstarted(q, p) == best) mzmtp_peerset_add(&m, p);
    }
    return m;
}
#else
#if MZMTP_CONF_TX_ACK
/* Does @p pipe have bytes of the slot numbered @p seq written but not acknowledged? (Its
 * positions settled, the slot carrying its bit.) */
static bool pinned_by(const mzmtp_outq_t *q, unsigned pipe, uint32_t seq)
{
    const mzmtp_outq_pipe_t *pp = &q->pipe[pipe];
    if (seq_before(seq, pp->cursor)) return true; /* written, at least in part */
    if (seq != pp->cursor || pp->sent == 0) return false;
    return pp->ack_cursor != seq || pp->ack_sent != pp->sent;
}
#endif

/* Clear @p pipe's bit from the messages it has not started (all of them if @p all). */
static void forget(mzmtp_outq_t *q, unsigned pipe, bool all)
{
    const mzmtp_outq_pipe_t *pp = &q->pipe[pipe];
    uint32_t end = settle(q, pipe);
    let_go_from(q, pipe, pp->cursor + (!all && pp->sent > 0 ? 1u : 0u), end);
    reclaim(q);
}

/* Has @p pipe started the slot numbered @p seq? (A pipe that has written part of a
 * message always has its cursor on it; with MZMTP_CONF_TX_ACK the slots before its
 * cursor that still carry its bit are written, waiting for their acknowledgement.) */
static bool writing(const mzmtp_outq_t *q, unsigned pipe, uint32_t seq)
{
#if MZMTP_CONF_TX_ACK
    if (seq_before(seq, q->pipe[pipe].cursor)) return true;
#endif
    return q->pipe[pipe].sent != 0 && q->pipe[pipe].cursor == seq;
}

/* Remove from @p mask the peers that have started the slot numbered @p seq. */
static void unstarted(const mzmtp_outq_t *q, uint32_t seq, mzmtp_peerset_t *mask)
{
    MZMTP_PEERSET_FOR_EACH(p, mask) {
        if (writing(q, p, seq)) mzmtp_peerset_del(mask, p);
    }
}

mzmtp_peerset_t mzmtp_outq_oldest_mask(const mzmtp_outq_t *q)
{
    mzmtp_peerset_t m;
    for (uint32_t i = 0; i < q->count; i++) {
        m = q->slot[(q->first + i) % MZMTP_CONF_SEND_SLOTS].mask;
        unstarted(q, q->seq_first + i, &m);
        if (!mzmtp_peerset_empty(&m)) return m;
    }
    mzmtp_peerset_clear(&m);
    return m;
}
#endif

void mzmtp_outq_pipe_shed(mzmtp_outq_t *q, unsigned pipe) { forget(q, pipe, false); }

void mzmtp_outq_pipe_drop(mzmtp_outq_t *q, unsigned pipe)
{
#if MZMTP_CONF_TX_ACK
    mzmtp_outq_acked_all(q, pipe); /* the transport is gone: nothing reads them any more */
#endif
    forget(q, pipe, true);
#if MZMTP_OUTQ_WIDE
    if (q->open) q->pipe[pipe].excl = q->open_gen; /* not a holder of the open message */
#else
    mzmtp_peerset_del(&q->open_mask, pipe);
#endif
    mzmtp_outq_pipe_attach(q, pipe);
}

/* Is sequence number @p seq stored before the wrap (in the upper part of the ring)? */
static bool before_wrap(const mzmtp_outq_t *q, uint32_t seq)
{
    return q->wrap_end != 0 && seq_before(seq, q->wrap_seq);
}

#if MZMTP_OUTQ_WIDE
#if MZMTP_CONF_TX_ACK
/* Mark the slots whose bytes a stack may still read: each pipe's written, unacknowledged
 * ones (from its acknowledged position to its written one). */
static void mark_pinned(mzmtp_outq_t *q)
{
    for (uint32_t i = 0; i < q->count; i++) q->slot[(q->first + i) % MZMTP_CONF_SEND_SLOTS].pin = 0;
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        const mzmtp_outq_pipe_t *pp = &q->pipe[p];
        if (pp->ack_cursor == pp->cursor && pp->ack_sent == pp->sent) continue;
        uint32_t seq = pp->ack_cursor - q->seq_first > q->count ? q->seq_first : pp->ack_cursor;
        for (; seq != pp->cursor; seq++) {
            mzmtp_outq_slot_t *s = &q->slot[slot_index(q, seq)];
            if (wants(q, s, p, seq)) s->pin = 1;
        }
        if (pp->sent != 0) q->slot[slot_index(q, pp->cursor)].pin = 1;
    }
}
#endif

/* After compaction: the new number of what was numbered @p seq — that of the first kept
 * slot numbered @p seq or later before (their old numbers are in .was, in order), or the
 * end. Positions on a slot that went move to the next one kept, which is what their
 * pipes would have come to. */
static uint32_t renumber(const mzmtp_outq_t *q, uint32_t seq, uint32_t end)
{
    if (seq == end) return end;
    uint32_t lo = 0, hi = q->count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2u;
        if (seq_before(q->slot[(q->first + mid) % MZMTP_CONF_SEND_SLOTS].was, seq)) {
            lo = mid + 1u;
        } else {
            hi = mid;
        }
    }
    return q->seq_first + lo;
}
#endif

bool mzmtp_outq_compact(mzmtp_outq_t *q)
{
    if (q->open || q->dead_slots == 0) return false;
    uint32_t used = q->wrap_end ? q->wrap_end - q->slot[q->first].off + q->bhead
                                : q->bhead - q->slot[q->first].off;
    if (q->dead_slots * 4u < q->count && (uint64_t)q->dead_bytes * 4u < used) return false;

#if MZMTP_OUTQ_WIDE
#if MZMTP_CONF_TX_ACK
    mark_pinned(q);
#endif
#else
    /* Every pipe's cursor on the first slot it needs, or at the end: a cursor then always
     * sits on a slot that is kept and carries its bit. */
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        (void)settle(q, p);
#if MZMTP_CONF_TX_ACK
        settle_ack(q, p); /* on a kept slot carrying its bit, or on its cursor */
#endif
    }
#endif
    /* Walk from the newest slot to the oldest. Needed slots move to just below `target`
     * (bytes) and to the end of the slot array (indices), keeping their order, so the
     * sequence numbers still end at `end`; slots nobody needs vanish. Bytes move towards
     * higher addresses only, newest first, so no move overwrites a slot not yet moved. */
    const uint32_t end = q->seq_first + q->count;
    uint32_t target = q->bhead;
    bool target_upper = false; /* target lies before the wrap */
    uint32_t kept = 0, new_wrap_seq = end;
    for (uint32_t i = q->count; i-- > 0;) {
        uint32_t seq = q->seq_first + i;
        mzmtp_outq_slot_t s = q->slot[(q->first + i) % MZMTP_CONF_SEND_SLOTS];
        if (SLOT_FREE(&s)) {
#if MZMTP_CONF_SEND_REF
            if (s.ext_len) q->ext_live--;
#endif
#if MZMTP_OUTQ_WIDE
            group_put(q, s.grp);
#endif
            continue;
        }
        /* A slot stored before the wrap moves after it while there is room there (the
         * kept slots then start after the wrap); once there is none, it and every older
         * slot stay before the wrap, packed against its end. */
#if MZMTP_CONF_TX_ACK
        /* A slot whose bytes the stack may still read stays where it is; older slots pack
         * below it. (Everything newer already lies above it: slots only move up, and a
         * slot before the wrap is reached only after those after it.) */
#if MZMTP_OUTQ_WIDE
        bool pinned = s.pin != 0;
#else
        bool pinned = false;
        MZMTP_PEERSET_FOR_EACH(p, &s.mask) {
            if (pinned_by(q, p, seq)) {
                pinned = true;
                break;
            }
        }
#endif
        if (!target_upper && before_wrap(q, seq) && (target < s.len || pinned)) {
            target = q->wrap_end;
            target_upper = true;
        }
        if (pinned) target = s.off + s.len;
#else
        if (!target_upper && before_wrap(q, seq) && target < s.len) {
            target = q->wrap_end;
            target_upper = true;
        }
#endif
        target -= s.len;
        if (target != s.off) mzmtp_util_move_up(q->data + target, q->data + s.off, s.len);
        s.off = target;
        kept++;
#if MZMTP_OUTQ_WIDE
        s.was = seq;
#endif
        q->slot[(q->first + q->count - kept) % MZMTP_CONF_SEND_SLOTS] = s;
        if (!target_upper) new_wrap_seq = end - kept;
#if !MZMTP_OUTQ_WIDE
        /* Pipes on this slot follow it. (A pipe moved here cannot match an older slot:
         * slots only move to higher numbers.) */
        MZMTP_PEERSET_FOR_EACH(p, &s.mask) {
            mzmtp_outq_pipe_t *pp = &q->pipe[p];
            if (pp->cursor == seq) pp->cursor = end - kept;
#if MZMTP_CONF_TX_ACK
            if (pp->ack_cursor == seq) pp->ack_cursor = end - kept;
#endif
        }
#endif
    }

    q->first = (q->first + q->count - kept) % MZMTP_CONF_SEND_SLOTS;
    q->count = kept;
    q->seq_first = end - kept;
    q->dead_slots = 0;
    q->dead_bytes = 0;
    if (q->wrap_end != 0) {
        if (target_upper) {
            q->wrap_seq = new_wrap_seq; /* the first slot kept after the wrap, or end */
        } else {
            q->wrap_end = 0; /* everything kept now lies after the wrap */
        }
    }
    if (q->count == 0) q->bhead = 0;
#if MZMTP_OUTQ_WIDE
    /* Every position follows its slot (the slots do not know their pipes). */
    for (unsigned p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        mzmtp_outq_pipe_t *pp = &q->pipe[p];
        pp->cursor = renumber(q, pp->cursor, end);
#if MZMTP_CONF_TX_ACK
        pp->ack_cursor = renumber(q, pp->ack_cursor, end);
#endif
        pp->skip_lo = renumber(q, pp->skip_lo, end);
        pp->skip_hi = renumber(q, pp->skip_hi, end);
#if MZMTP_CONF_TX_ACK
        pp->old_lo = renumber(q, pp->old_lo, end);
        pp->old_hi = renumber(q, pp->old_hi, end);
#endif
    }
#endif
    return true;
}

void mzmtp_outq_pipe_rewind(mzmtp_outq_t *q, unsigned pipe)
{
#if MZMTP_CONF_TX_ACK
    /* The old transport is gone: what it was given counts as done (as a copying port's
     * would), and the message it was in the middle of starts again from its first byte. */
    mzmtp_outq_acked_all(q, pipe);
    q->pipe[pipe].ack_sent = 0;
#endif
    q->pipe[pipe].sent = 0;
}

uint32_t mzmtp_outq_pipe_queued(const mzmtp_outq_t *q, unsigned pipe)
{
    return q->pipe[pipe].queued;
}

bool mzmtp_outq_pipe_mid_message(const mzmtp_outq_t *q, unsigned pipe)
{
    return q->pipe[pipe].sent != 0;
}

/* Move the pipe's cursor past slots that are not for it. */
static uint32_t settle(mzmtp_outq_t *q, unsigned pipe)
{
    mzmtp_outq_pipe_t *pp = &q->pipe[pipe];
    /* Outside the ring (behind it: its slots are gone; or so old that seq_before() would
     * say ahead, after 2^31 messages): from the oldest slot. */
    if (pp->cursor - q->seq_first > q->count) {
        pp->cursor = q->seq_first;
        pp->sent = 0;
    }
    uint32_t end = q->seq_first + q->count;
#if MZMTP_OUTQ_WIDE
    if (idle(pp)) {
        move_all_to(pp, end);
        return end;
    }
#endif
    while (pp->cursor != end && !wants(q, &q->slot[slot_index(q, pp->cursor)], pipe, pp->cursor)) {
        pp->cursor++;
    }
    return end;
}

size_t mzmtp_outq_peek(mzmtp_outq_t *q, unsigned pipe, mzmtp_iov_t *iov, size_t max,
                       bool one_message)
{
    if (pipe >= MZMTP_CONF_MAX_PEERS || q->pipe[pipe].queued == 0) return 0;
    uint32_t end = settle(q, pipe);
    uint32_t sent = q->pipe[pipe].sent;
    size_t n = 0;
    for (uint32_t seq = q->pipe[pipe].cursor; seq != end && n <= max; seq++) {
        const mzmtp_outq_slot_t *s = &q->slot[slot_index(q, seq)];
        if (!wants(q, s, pipe, seq)) continue;
        uint32_t pos = sent;
        sent = 0;
        if (pos < s->len) {
            const uint8_t *base = q->data + s->off + pos;
            if (n > 0 && iov[n - 1].base + iov[n - 1].len == base) {
                iov[n - 1].len += s->len - pos; /* consecutive messages: one write */
            } else {
                if (n == max) break;
                iov[n].base = base;
                iov[n].len = s->len - pos;
                n++;
            }
        }
#if MZMTP_CONF_SEND_REF
        if (s->ext_len) {
            uint32_t done = pos > s->len ? pos - s->len : 0;
            if (n == max) break;
            iov[n].base = s->ext + done;
            iov[n].len = s->ext_len - done;
            n++;
        }
#endif
        if (one_message) break;
    }
    return n;
}

size_t mzmtp_outq_pipe_msg_left(mzmtp_outq_t *q, unsigned pipe)
{
    if (q->pipe[pipe].sent == 0) return 0; /* between messages */
    /* A started message is never skipped by settle(): the cursor is on it. */
    const mzmtp_outq_slot_t *s = &q->slot[slot_index(q, q->pipe[pipe].cursor)];
    return SLOT_TOTAL(s) - q->pipe[pipe].sent;
}

/* Move @p pipe's cursor over @p n bytes it wrote. Without MZMTP_CONF_TX_ACK written is
 * also acknowledged: a slot the pipe has finished is let go of at once (dead once no
 * pipe needs it). With it the pipe holds the slot until its bytes are acknowledged. */
static void pipe_written(mzmtp_outq_t *q, unsigned pipe, size_t n)
{
    mzmtp_outq_pipe_t *pp = &q->pipe[pipe];
    uint32_t end = settle(q, pipe);
    (void)walk(q, pipe, &pp->cursor, &pp->sent, end, n, !MZMTP_CONF_TX_ACK, &pp->queued);
}

#if MZMTP_CONF_TX_ACK
void mzmtp_outq_written(mzmtp_outq_t *q, unsigned pipe, size_t n)
{
    if (pipe >= MZMTP_CONF_MAX_PEERS) return;
    pipe_written(q, pipe, n);
}

void mzmtp_outq_advance(mzmtp_outq_t *q, unsigned pipe, size_t n)
{
    mzmtp_outq_written(q, pipe, n);
    mzmtp_outq_acked_all(q, pipe);
}
#else
void mzmtp_outq_advance(mzmtp_outq_t *q, unsigned pipe, size_t n)
{
    if (pipe >= MZMTP_CONF_MAX_PEERS) return;
    pipe_written(q, pipe, n);
    reclaim(q);
}
#endif

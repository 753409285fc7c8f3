/**
 * @file mzmtp_conn.h
 * @brief Sans-I/O ZMTP 3.x engine for ONE peer (greeting, NULL handshake, framing,
 *        commands, heartbeats), and the send ring it writes messages from.
 *
 * Bytes in: write received bytes at mzmtp_conn_rx_space() and call mzmtp_conn_rx_commit(),
 * or hand them to mzmtp_conn_input(), which copies. Then call mzmtp_conn_process() until it
 * returns MZMTP_AGAIN: each call yields at most one event.
 * Bytes out: mzmtp_conn_output() fills I/O vectors that point into the engine and into the
 * send ring (zero copy); after writing, say how many bytes went with mzmtp_conn_output_done()
 * (or, with MZMTP_CONF_TX_ACK, for a stack that keeps pointers until the peer acknowledges:
 * mzmtp_conn_output_written() now and mzmtp_conn_output_acked() later).
 * Time comes in as now_ms (monotonic, may wrap); the engine reads no clock.
 *
 * Applications normally use mzmtp_socket_t, which owns engines; this header is for ports,
 * tests and those who want one raw ZMTP link.
 */
#ifndef MZMTP_CONN_H
#define MZMTP_CONN_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include "mzmtp_config_defaults.h"
#include "mzmtp_status.h"
#include "mzmtp_wire.h"
#include "mzmtp_security.h"

/** Words of a peer set: one up to 32 peers. */
#define MZMTP_PEERSET_WORDS ((MZMTP_CONF_MAX_PEERS + 31u) / 32u)

/** A set of peer slots of one socket, one bit per slot: one 32-bit word up to 32 peers,
 *  an array of words beyond. Private storage of the send ring and the socket (the core
 *  reads and writes it only through src/util/mzmtp_peerset.h); applications and ports
 *  ask the socket about its peers instead (mzmtp_socket_dead_next(), _peer_count()). */
typedef struct mzmtp_peerset {
    uint32_t w[MZMTP_PEERSET_WORDS];
} mzmtp_peerset_t;

/** 1 when the build's socket types never deliver a message to the application (PUB and
 *  PUSH only, MZMTP_CONF_SOCKET_TYPES: RFC 29/30 drop what their peers send, and a PUB
 *  reads subscriptions from it). The engine then reads its input in stream order with
 *  no scanner, receive HWM count or delivery; mzmtp_conn_init() refuses the types left
 *  out, and mzmtp_conn_peek()/_read() never have a message to give. */
#define MZMTP_CONN_NO_DELIVERY \
    ((MZMTP_CONF_SOCKET_TYPES & ~(MZMTP_TYPESET_PUB | MZMTP_TYPESET_PUSH)) == 0)

/** Byte counts and stream offsets of the receive path (see MZMTP_CONF_LARGE_FRAMES). */
#if MZMTP_CONF_LARGE_FRAMES
typedef uint64_t mzmtp_off_t;
#define MZMTP_FRAME_MAX ((uint64_t)INT64_MAX)
#else
typedef uint32_t mzmtp_off_t;
#define MZMTP_FRAME_MAX 0x7FF00000u
#endif

/** One piece of output: @p base[0..len) goes on the wire next. */
typedef struct mzmtp_iov {
    const uint8_t *base;
    size_t len;
#if MZMTP_CONF_TX_ACK
    /** true: the bytes stay where they are until mzmtp_conn_output_acked() releases them
     *  (a stack may keep this pointer); false: they are reused after the next call on the
     *  engine, so the port copies them when it writes them. */
    bool stable;
#endif
} mzmtp_iov_t;

/* ------------------------------------------------------------------------------------ */
/* Send ring: one socket's outgoing messages, already encoded as ZMTP frames, shared by    */
/* all its peers. A message sent to N peers is stored once.                                 */
/* ------------------------------------------------------------------------------------ */

/** 1 when peer sets are wider than one word (MZMTP_CONF_MAX_PEERS > 32): a slot then holds
 *  a reference count and names its peers through a shared recipient set (a "group") or a
 *  single peer id, so that its size does not grow with the peers; with one word a slot
 *  keeps the set itself (one register, what a microcontroller build always had). */
#define MZMTP_OUTQ_WIDE (MZMTP_PEERSET_WORDS > 1)

typedef struct mzmtp_outq_slot {
    uint32_t off;          /**< Offset of the encoded message in the data ring. */
    uint32_t len;          /**< Encoded bytes (headers and bodies of all its frames). */
#if MZMTP_OUTQ_WIDE
    uint16_t refs;         /**< Peers that have still to write it (or, with
                                MZMTP_CONF_TX_ACK, to have it acknowledged). */
    uint16_t to;           /**< Its one peer, when grp is MZMTP_OUTQ_ONE. */
    uint8_t grp;           /**< Its recipient set in mzmtp_outq_t.group, or MZMTP_OUTQ_ONE. */
    uint8_t pin;           /**< Scratch of mzmtp_outq_compact(): bytes a stack may read. */
    uint32_t was;          /**< Scratch of mzmtp_outq_compact(): its number before. */
#else
    mzmtp_peerset_t mask;  /**< Peers that have still to write it (or, with
                                MZMTP_CONF_TX_ACK, to have it acknowledged). */
#endif
#if MZMTP_CONF_SEND_REF
    const uint8_t *ext;    /**< Body of the last frame in application memory, or NULL. */
    uint32_t ext_len;      /**< Its length; written after the len ring bytes. */
#endif
} mzmtp_outq_slot_t;

#if MZMTP_OUTQ_WIDE
/** mzmtp_outq_slot_t.grp of a message for one peer. */
#define MZMTP_OUTQ_ONE 0xFFu
/** A recipient set shared by the slots of the messages sent to exactly those peers. */
typedef struct mzmtp_outq_group {
    mzmtp_peerset_t members; /**< The peers the messages were addressed to at commit. */
    uint32_t slots;          /**< Slots (and the open message) using it; 0: free. */
} mzmtp_outq_group_t;
#endif

typedef struct mzmtp_outq_pipe {
    uint32_t cursor; /**< Sequence number of the next slot this peer looks at. */
    uint32_t sent;   /**< Bytes of that slot already written. */
    uint32_t queued; /**< Slots this peer has still to write (for the send HWM). */
#if MZMTP_CONF_TX_ACK
    /* The acknowledged position, at or behind the written one (cursor, sent): slots from
     * here to the cursor hold this peer's reference until the stack releases their bytes. */
    uint32_t ack_cursor; /**< Sequence number of the oldest slot not yet acknowledged. */
    uint32_t ack_sent;   /**< Bytes of that slot acknowledged. */
#endif
#if MZMTP_OUTQ_WIDE
    /* Slots numbered skip_lo .. skip_hi - 1 were forgotten (shed) by this peer although
     * their group names it; excl: the open message it left (mzmtp_outq_t.open_gen). */
    uint32_t skip_lo, skip_hi;
    uint32_t excl;
#if MZMTP_CONF_TX_ACK
    /* An older such range, not yet passed by the acknowledged position (written slots
     * lie between the two). */
    uint32_t old_lo, old_hi;
#endif
#endif
} mzmtp_outq_pipe_t;

/** The send ring. All fields are private. */
typedef struct mzmtp_outq {
    uint8_t *data;
    uint32_t size;
    uint32_t bhead;    /* next free byte */
    uint32_t wrap_end; /* end of live data before a wrap, 0 when not wrapped */
    uint32_t wrap_seq; /* first sequence number stored after the wrap */
    uint32_t seq_first; /* sequence number of slot[first] */
    uint32_t first, count;
    uint32_t dead_slots, dead_bytes; /* slots nobody needs, kept behind a live older one */
    mzmtp_outq_slot_t slot[MZMTP_CONF_SEND_SLOTS];
    mzmtp_outq_pipe_t pipe[MZMTP_CONF_MAX_PEERS];
    /* the message being composed by the application */
    uint32_t open_off, open_len;
#if MZMTP_OUTQ_WIDE
    mzmtp_outq_group_t group[MZMTP_CONF_SEND_GROUPS];
    uint32_t open_gen;  /* counts begins: a peer dropped meanwhile has excl == open_gen */
    uint16_t open_to;   /* the open message's one peer (open_grp MZMTP_OUTQ_ONE) */
    uint8_t open_grp;   /* its group, MZMTP_OUTQ_ONE, or NO_GROUP: none was free */
    uint8_t last_grp;   /* the group used last (tried first) */
#else
    mzmtp_peerset_t open_mask;
#endif
    bool open, open_drop;
#if MZMTP_CONF_SEND_REF
    const uint8_t *open_ext;
    uint32_t open_ext_len;
    uint32_t ext_live; /* committed messages whose last frame is by reference */
#endif
} mzmtp_outq_t;

/** Start an empty ring over @p data[0..size) (borrowed for the ring's lifetime). */
void mzmtp_outq_init(mzmtp_outq_t *q, uint8_t *data, size_t size);
/** Drop the open message (what its frames queued so far); nothing if none is open. */
void mzmtp_outq_cancel(mzmtp_outq_t *q);
/**
 * Begin a message for the peers in @p mask (by value: one register up to 32 peers). The application then adds frames with
 * mzmtp_outq_add_frame() and the last one commits it. An empty mask, or @p drop, makes the
 * message vanish frame by frame (PUB at HWM) while the caller still sees MZMTP_OK.
 */
void mzmtp_outq_begin(mzmtp_outq_t *q, mzmtp_peerset_t mask);
/** Begin a message for peer @p pipe alone (ROUTER, REQ, the round robin types): as
 *  mzmtp_outq_begin() with that one peer, without building a peer set. */
void mzmtp_outq_begin_one(mzmtp_outq_t *q, unsigned pipe);
/**
 * Append one frame to the open message; @p more false commits it.
 * @return MZMTP_OK; MZMTP_AGAIN (no slot or bytes free now: the frame was not added; a
 *         message with earlier frames stays open, so offer the same frame again once the
 *         peers have written some; a message without any is dropped); or
 *         MZMTP_ERR_NO_MEMORY (the whole message can never fit the ring: it is rolled
 *         back and the peers get nothing of it).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_outq_add_frame(mzmtp_outq_t *q, const uint8_t *data,
                                                    size_t len, bool more);
#if MZMTP_CONF_SEND_REF
/**
 * End the open message with a frame whose body stays at @p data (borrowed until
 * mzmtp_outq_refs() no longer counts the message): only its header takes ring space.
 * @return as mzmtp_outq_add_frame() for the last frame.
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_outq_add_ref(mzmtp_outq_t *q, const uint8_t *data,
                                                  size_t len);
/** @return Messages still in the ring whose last frame points into application memory. */
uint32_t mzmtp_outq_refs(const mzmtp_outq_t *q);
#endif
/** @return Bytes of the message @p pipe has started to write that are still to be
 *  written (0 when it is between messages). */
size_t mzmtp_outq_pipe_msg_left(mzmtp_outq_t *q, unsigned pipe);
/** Append already encoded frames (a stored envelope) to the open message. @return as
 *  mzmtp_outq_add_frame(), and the message stays open. */
MZMTP_NODISCARD mzmtp_status_t mzmtp_outq_add_encoded(mzmtp_outq_t *q, const uint8_t *frames,
                                                      size_t len);
/** @return true when a message of @p len bytes in one frame would fit now (with
 *  MZMTP_OUTQ_WIDE, false also while every recipient set is taken: see
 *  MZMTP_CONF_SEND_GROUPS). */
bool mzmtp_outq_can_take(const mzmtp_outq_t *q, size_t len);
/** @return Encoded bytes (frame headers included) of the largest message that fits now,
 *  0 when every slot is in use. */
size_t mzmtp_outq_room(const mzmtp_outq_t *q);
/** Make peer @p pipe start with the next message committed. */
void mzmtp_outq_pipe_attach(mzmtp_outq_t *q, unsigned pipe);
/** Forget every message still waiting for @p pipe (its peer left for good). */
void mzmtp_outq_pipe_drop(mzmtp_outq_t *q, unsigned pipe);
/** Forget every message queued for @p pipe except one it has started to write (a PUB
 *  making room in a full ring at the expense of its slowest peer). */
void mzmtp_outq_pipe_shed(mzmtp_outq_t *q, unsigned pipe);
/** @return The peers that still have to start the oldest message some peer has not
 *  started (empty if none): the ones to shed when the ring is full. A message a peer is in
 *  the middle of writing cannot be taken back; mzmtp_outq_compact() moves it instead. */
mzmtp_peerset_t mzmtp_outq_oldest_mask(const mzmtp_outq_t *q);
/**
 * Squeeze out the messages nobody needs any more that sit behind older ones still needed
 * (a stalled peer's half-written message at the head pins the whole ring otherwise):
 * the needed messages move, in order, towards the newest, and every peer keeps its place.
 * Does nothing while a message is open, or when fewer than a quarter of the slots and of
 * the bytes would be freed (so that a ring full of needed messages costs no copying).
 * Moves bytes a port may have been given by mzmtp_outq_peek() but not yet confirmed with
 * mzmtp_outq_advance(): call it only between a port's write and its next peek.
 * @return true when something was freed.
 */
bool mzmtp_outq_compact(mzmtp_outq_t *q);
/** Restart the partly written message of @p pipe from its first byte (reconnect). */
void mzmtp_outq_pipe_rewind(mzmtp_outq_t *q, unsigned pipe);
/** @return Messages still queued for @p pipe. */
uint32_t mzmtp_outq_pipe_queued(const mzmtp_outq_t *q, unsigned pipe);
/** @return true when @p pipe has written part, not all, of a message. */
bool mzmtp_outq_pipe_mid_message(const mzmtp_outq_t *q, unsigned pipe);
/** Fill up to @p max vectors with what @p pipe writes next; @return vectors filled. */
size_t mzmtp_outq_peek(mzmtp_outq_t *q, unsigned pipe, mzmtp_iov_t *iov, size_t max,
                       bool one_message);
/** Mark @p n bytes of @p pipe written and released; frees slots nobody needs any more. */
void mzmtp_outq_advance(mzmtp_outq_t *q, unsigned pipe, size_t n);
#if MZMTP_CONF_TX_ACK
/** Mark @p n bytes of @p pipe written but still in the stack's hands: the slots stay,
 *  and mzmtp_outq_compact() does not move them, until mzmtp_outq_acked(). */
void mzmtp_outq_written(mzmtp_outq_t *q, unsigned pipe, size_t n);
/** Release the next @p n written bytes of @p pipe (in the order written; never past what
 *  was written); frees slots nobody needs any more. */
void mzmtp_outq_acked(mzmtp_outq_t *q, unsigned pipe, size_t n);
/** Release everything @p pipe has written (its acknowledged position catches up). */
void mzmtp_outq_acked_all(mzmtp_outq_t *q, unsigned pipe);
#endif

/* ------------------------------------------------------------------------------------ */
/* The connection engine.                                                                   */
/* ------------------------------------------------------------------------------------ */

typedef enum mzmtp_conn_state {
    MZMTP_CONN_GREETING = 0, /**< Waiting for the peer's 64-byte greeting. */
    MZMTP_CONN_HANDSHAKE,    /**< Greeting done; waiting for the peer's READY. */
    MZMTP_CONN_READY,        /**< Handshake done; messages flow. */
    MZMTP_CONN_DEAD          /**< A fatal error happened; drain output, then close. */
} mzmtp_conn_state_t;

typedef enum mzmtp_conn_event_kind {
    MZMTP_CONN_EV_NONE = 0,
    MZMTP_CONN_EV_HANDSHAKE, /**< READY exchanged: peer_type and data=Identity are set. */
    MZMTP_CONN_EV_SUBSCRIBE, /**< data = topic (SUBSCRIBE, or 0x01-message from 3.0 peers). */
    MZMTP_CONN_EV_CANCEL,    /**< data = topic. */
    MZMTP_CONN_EV_MESSAGE,   /**< A data message is at the head: read it with
                                  mzmtp_conn_read() or drop it with mzmtp_conn_skip().
                                  Reported once per message. */
    MZMTP_CONN_EV_ERROR      /**< Peer sent ERROR: data = reason. process() returns fatal. */
} mzmtp_conn_event_kind_t;

/** Event data. Pointers point into the engine's receive buffer and stay valid until the
 *  next call on the same engine. */
typedef struct mzmtp_conn_event {
    mzmtp_conn_event_kind_t kind;
    const uint8_t *data;
    size_t len;
    int peer_type; /**< For HANDSHAKE: the peer's Socket-Type, or -1 if it sent none. */
} mzmtp_conn_event_t;

#if MZMTP_CONF_CURVE
struct mzmtp_conn;
/** The largest command a CURVE handshake builds: a client's INITIATE with our metadata
 *  (9-byte frame header, 9 name, cookie 96, nonce 8, box of 16 + 32 + 16 + 80 + metadata). */
#define MZMTP_CURVE_HS_OUT (310u + MZMTP_CONF_ROUTING_ID_MAX)
/**
 * One CURVE handshake in progress (src/mech/curve.c), taken from the socket's pool of
 * MZMTP_CONF_CURVE_HANDSHAKES: a client holds it from its HELLO until its INITIATE is
 * written, a server from a HELLO until its WELCOME is written. It holds the command being
 * sent (HELLO, WELCOME, INITIATE: larger than the engine's command buffer) and the
 * client's transient secrets; it is wiped when given back.
 */
typedef struct mzmtp_curve_hs_slot {
    const struct mzmtp_conn *owner; /* NULL: free */
    uint16_t rd, wr;                /* out[rd..wr) is still to be written */
    uint8_t cn_secret[MZMTP_CURVE_KEY_LEN]; /* client: c' */
    uint8_t cn_public[MZMTP_CURVE_KEY_LEN]; /* client: C' */
    uint8_t k_hello[MZMTP_CURVE_KEY_LEN];   /* client: shared(S, c') */
    uint8_t out[MZMTP_CURVE_HS_OUT];
} mzmtp_curve_hs_slot_t;
/**
 * The boxing scratch (src/mech/curve_msg.c), one per socket: the boxed bytes of one
 * engine's current batch of frames, or a window of a frame larger than the scratch.
 * Boxing is deterministic (same key, nonce, plaintext: same bytes), so when another
 * engine has used the scratch since, the owner boxes its batch again and goes on from
 * its own cursor; the plaintext stays in the send ring until its box is all written.
 */
typedef struct mzmtp_curve_scratch {
    const struct mzmtp_conn *owner; /* whose bytes buf holds; NULL: nobody's */
    uint32_t win_off;               /* buf[0] is byte win_off of the owner's batch */
    uint32_t win_len;               /* bytes of buf that hold it */
    uint8_t buf[MZMTP_CONF_CURVE_TX_BUF];
} mzmtp_curve_scratch_t;
#endif

/**
 * Security settings of engines: which mechanism, which role, our credentials. Owned by the
 * socket (one per socket, shared by its engines) and borrowed by each engine for its
 * lifetime; a NULL pointer in mzmtp_conn_opts_t means the NULL mechanism. All fields are
 * private to the core.
 */
typedef struct mzmtp_conn_sec {
    uint8_t mechanism; /* mzmtp_mechanism_t */
    bool server;       /* our role (wire-notes G7: local options only) */
    uint8_t user_len, pass_len;
    uint8_t user[MZMTP_CONF_PLAIN_CRED_MAX]; /* PLAIN client credentials */
    uint8_t pass[MZMTP_CONF_PLAIN_CRED_MAX];
    /** Server side: asks the authenticator about the engine's peer (the socket fills in
     *  the address and keeps the User-Id). NULL refuses every PLAIN peer and accepts
     *  every CURVE key (libzmq without ZAP). */
    void (*auth)(void *owner, unsigned peer, mzmtp_auth_request_t *req,
                 mzmtp_auth_reply_t *reply);
    void *auth_owner;
#if MZMTP_CONF_CURVE
    uint8_t public_key[MZMTP_CURVE_KEY_LEN]; /* ours, long-term */
    uint8_t secret_key[MZMTP_CURVE_KEY_LEN];
    uint8_t server_key[MZMTP_CURVE_KEY_LEN]; /* client: the server's public key */
    mzmtp_random_fn rng;
    void *rng_ctx;
    /* Server: cookie keys (RFC 26 "The WELCOME command"), the current and the previous
     * one, rotated every MZMTP_CONF_CURVE_COOKIE_MS by the engines' clocks (curve.c): a
     * key mints cookies for COOKIE_MS after it was made and opens them for 2 x COOKIE_MS. */
    uint8_t cookie_key[2][MZMTP_CURVE_KEY_LEN];
    uint32_t cookie_born[2]; /* now_ms when each key was made */
    uint8_t cookie_cur;      /* the key that mints cookies */
    uint8_t cookie_valid;    /* bit k: cookie_key[k] holds a key */
    /* The CURVE engines' shared memory (src/mech/curve*.c): a connection keeps only its
     * keys, counters and cursors; what is large and short-lived lives here, once per
     * socket. A free handshake slot has owner NULL; so has a scratch nobody filled. */
    mzmtp_curve_hs_slot_t hs[MZMTP_CONF_CURVE_HANDSHAKES];
    mzmtp_curve_scratch_t tx;
#endif
} mzmtp_conn_sec_t;

#if MZMTP_CONF_CURVE
/** Per-engine CURVE state: what stays for the connection's life. The handshake
 *  (src/mech/curve.c) leaves the session key and the two counters; MESSAGE
 *  (src/mech/curve_msg.c) uses them and the cursors of the batch being written. */
typedef struct mzmtp_curve_state {
    uint8_t key[MZMTP_CURVE_KEY_LEN]; /* session key: crypto_box_beforenm(C', s') */
    uint64_t tx_nonce;                /* last short nonce of a frame wholly written */
    uint64_t rx_nonce;                /* last short nonce the peer sent */
    /* the batch being written: the next batch_frames frames of one source (the command
     * buffer or the send ring), boxed with nonces tx_nonce + 1, + 2, ... */
    uint32_t batch_box;   /* bytes of their boxes (MESSAGE frames); 0: no batch */
    uint32_t batch_plain; /* bytes of their plaintext frames in the source */
    uint32_t sent;        /* bytes of batch_box already written */
    uint16_t batch_frames;
    uint16_t raw_cmd;     /* command bytes queued before the handshake ended: sent as they are */
    /* server, from WELCOME to INITIATE: no secret (s' lives only in the cookie), just
     * what ties the INITIATE to this connection (wire-notes C16) */
    uint8_t cookie_nonce[16]; /* the long nonce of the cookie we sent */
    uint8_t hello_nonce[8];   /* the client's HELLO short nonce */
    bool from_cmd;        /* the batch comes from the command buffer (else the send ring) */
    bool boxing;          /* the handshake is over: every frame is boxed */
    uint8_t slot;         /* handshake slot in opts.sec->hs, + 1; 0: none */
} mzmtp_curve_state_t;
#endif

/** Runtime options of an engine; copy of the socket's options at attach time. */
typedef struct mzmtp_conn_opts {
    uint64_t max_msg_size;     /**< Largest message accepted, bytes; 0 = no limit. */
    uint32_t handshake_ivl_ms; /**< Greeting+READY must finish within this; 0 = never. */
    uint32_t hb_ivl_ms;        /**< Send PING this often; 0 = no heartbeats. */
    uint32_t hb_timeout_ms;    /**< No traffic this long after our PING closes; 0 = ivl. */
    uint32_t hb_ttl_ms;        /**< TTL we ask the peer to apply (≤ 65500); 0 = none. */
    uint32_t rcvhwm;           /**< Complete messages buffered before we stop reading. */
    const uint8_t *identity;   /**< Routing id sent in READY (with SENDS_IDENTITY). */
    uint8_t identity_len;
    /** What the engine needs of its socket type, which it does not otherwise know: the
     *  MZMTP_WIRE_TYPE_* traits and the peer types it accepts (bit n = type n). 0 and 0
     *  take the type's own (mzmtp_wire_socket_type_info()), which is what sockets do. */
    uint8_t type_traits;
    uint16_t peer_types;
    mzmtp_conn_sec_t *sec;     /**< Security settings (borrowed), or NULL for NULL. */
} mzmtp_conn_opts_t;

#if MZMTP_CONF_TX_ACK
/** Runs of written, unacknowledged output an engine tells apart (internal). */
#define MZMTP_CONN_TX_RUNS 4
#endif

/** One ZMTP link. All fields are private; the struct is public for static allocation. */
typedef struct mzmtp_conn {
    uint8_t state;
    uint8_t socket_type; /* only to name it in READY (Socket-Type) */
    uint8_t peer_minor;
    uint8_t greeting_sent;
    uint8_t mech;       /* mzmtp_mechanism_t, from opts.sec */
    uint8_t mech_step;  /* mechanism handshake step (src/mech) */
    bool streaming;   /* head message is being delivered before it is complete */
    bool pending_end; /* scanner jumped a streamed last frame; count it once it arrives */
    bool head_more;   /* MORE flag of the frame being read */
    bool head_frame;  /* the reader is inside a data frame (its header consumed) */
    bool head_told;   /* EV_MESSAGE was returned for the head message */
    bool plan_rest;   /* last output() put a half-written message before commands */
    bool scan_waiting; /* nothing to scan until the stream reaches scan_wait */
    bool head_skip;   /* drop the rest of the head message */
    bool head_in_msg; /* part of the head message has been read */
    bool scan_more;   /* the last data frame scanned had MORE: a message is under scan */
    bool hb_wait_pong;
    mzmtp_status_t scan_err;
    /* receive buffer (borrowed) */
    uint8_t *rx;
    uint32_t rx_cap, rx_rd, rx_wr;
    mzmtp_off_t base;         /* stream offset of rx[0]; offsets may wrap (32-bit) */
    mzmtp_off_t scan;         /* stream offset of the next frame header to scan */
    mzmtp_off_t scan_msg_len; /* bytes of the message under scan so far */
    mzmtp_off_t head_left;    /* body bytes left of the frame being read */
    mzmtp_off_t scan_wait;    /* with scan_waiting: the incomplete frame ends here */
    uint32_t scan_msgs;    /* complete data messages not yet fully read */
    /* timers */
    uint32_t hs_deadline, hb_next_ping, hb_deadline, ttl_deadline;
    bool hs_armed, ttl_armed;
    mzmtp_conn_opts_t opts;
    /* output */
    mzmtp_outq_t *outq;
    uint16_t pipe; /* our peer slot in outq (16-bit peer ids) */
    uint16_t cmd_rd, cmd_wr;
    uint16_t plan_cmd; /* command bytes offered by the last output() */
    uint16_t cmd_cap;  /* bytes at cmd */
    uint8_t *cmd;      /* command output buffer (borrowed, mzmtp_conn_init()) */
#if MZMTP_CONF_TX_ACK
    /* Bytes written and not yet acknowledged, oldest first, in runs that alternate
     * between send-ring bytes and copied bytes (tx_ring0: the oldest run is ring bytes).
     * When the runs are full a ring run is counted as copied; its bytes are released
     * once everything written is acknowledged (output_acked()). */
    uint32_t tx_run[MZMTP_CONN_TX_RUNS];
    uint8_t tx_runs;
    bool tx_ring0;
#endif
#if MZMTP_CONF_CURVE && MZMTP_CONF_CURVE_STATE_APART
    /* A CURVE engine's state, at the front of its command area (mzmtp_conn_init(),
     * MZMTP_CMD_CURVE_STATE), so that NULL and PLAIN engines do not carry it; NULL until
     * a CURVE handshake starts. */
    mzmtp_curve_state_t *curve;
#elif MZMTP_CONF_CURVE
    mzmtp_curve_state_t curve[1]; /* in the engine (an array: c->curve-> either way) */
#endif
} mzmtp_conn_t;

/** Smallest command output buffer an engine takes (MZMTP_CMD_MIN): a READY without
 *  identity, PING/PONG, our ERRORs. What else it must hold depends on the socket:
 *  MZMTP_CMD_SUBSCRIBE_MAX for a SUB or XSUB, MZMTP_CMD_READY_ID(n) with an identity of
 *  n bytes, 18 + user + password bytes for a PLAIN client's HELLO. */
#define MZMTP_CMD_MIN 96u
/** The largest SUBSCRIBE or CANCEL we send (RFC 37 "Commands"): topic of
 *  MZMTP_CONF_MAX_TOPIC bytes, 10 bytes of name, and a short or long frame header. */
#define MZMTP_CMD_SUBSCRIBE_MAX                                                             \
    (MZMTP_CONF_MAX_TOPIC + 10u + (MZMTP_CONF_MAX_TOPIC + 10u > 255u ? 9u : 2u))
/** Bytes a CURVE engine takes from the front of the command area mzmtp_conn_init() is
 *  given, for its state (mzmtp_curve_state_t, 8-byte aligned), before MZMTP_CMD_MIN or
 *  more of commands (MZMTP_CONF_CURVE_STATE_APART); 0 where the state is in the engine. */
#if MZMTP_CONF_CURVE && MZMTP_CONF_CURVE_STATE_APART
#define MZMTP_CMD_CURVE_STATE (sizeof(mzmtp_curve_state_t) + 7u)
#else
#define MZMTP_CMD_CURVE_STATE 0u
#endif
/** Command buffer bytes for our READY with an identity of @p n bytes (60 B of frame
 *  header, name and properties; CURVE builds: 84, the box of a CURVE READY). */
#define MZMTP_CMD_READY_ID(n) ((size_t)(n) + (MZMTP_CONF_CURVE ? 84u : 60u))

/**
 * Start an engine: it queues its greeting and READY at once (wire-notes G3, N1).
 * @param[out] conn        The engine.
 * @param[in]  socket_type Our socket type (mzmtp_socket_type_t).
 * @param[in]  opts        Copied.
 * @param[in]  rx, rx_size Receive buffer, borrowed for the engine's lifetime; ≥ 64 bytes.
 * @param[in]  cmd, cmd_size Command output buffer (READY, SUBSCRIBE, PING/PONG, ERROR;
 *                         the greeting is sent from flash, a CURVE handshake's large
 *                         commands from the socket's handshake slots), borrowed for the
 *                         engine's lifetime; MZMTP_CMD_MIN..65535 bytes.
 * @param[in]  outq, pipe  Send ring and our peer index in it; outq may be NULL (no data).
 * @return MZMTP_OK, or MZMTP_ERR_INVALID (bad arguments, READY or a PLAIN HELLO does not
 *         fit the command buffer).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_conn_init(mzmtp_conn_t *conn, int socket_type,
                                               const mzmtp_conn_opts_t *opts, uint8_t *rx,
                                               size_t rx_size, uint8_t *cmd, size_t cmd_size,
                                               mzmtp_outq_t *outq, unsigned pipe,
                                               uint32_t now_ms);

/** mzmtp_conn_init() without its argument checks (internal): for a socket, whose init and
 *  setopt() have checked them already (mzmtp_socket_peer_start()), so that a build that
 *  uses engines only through sockets does not carry the checks twice. */
MZMTP_NODISCARD mzmtp_status_t mzmtp_conn_start(mzmtp_conn_t *conn, int socket_type,
                                                const mzmtp_conn_opts_t *opts, uint8_t *rx,
                                                size_t rx_size, uint8_t *cmd, size_t cmd_size,
                                                mzmtp_outq_t *outq, unsigned pipe,
                                                uint32_t now_ms);

/** Free room in the receive buffer: write up to @p *len received bytes at @p *ptr. A zero
 *  length means "stop reading" (buffer full of undelivered messages, or the receive HWM). */
void mzmtp_conn_rx_space(mzmtp_conn_t *conn, uint8_t **ptr, size_t *len);
/** Account @p n bytes written at the pointer from mzmtp_conn_rx_space(). */
void mzmtp_conn_rx_commit(mzmtp_conn_t *conn, size_t n, uint32_t now_ms);
/** Copy as much of @p in[0..len) as fits; @p *consumed says how much. */
void mzmtp_conn_input(mzmtp_conn_t *conn, const uint8_t *in, size_t len, uint32_t now_ms,
                      size_t *consumed);

/**
 * Parse buffered input up to the next event.
 * @return MZMTP_OK with an event, MZMTP_AGAIN when nothing more can be done until more
 *         bytes arrive or the head message is read, or a fatal status (the engine is dead;
 *         drain its output — it may hold an ERROR command — then close).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_conn_process(mzmtp_conn_t *conn, uint32_t now_ms,
                                                  mzmtp_conn_event_t *ev);

/* MZMTP_RECV_MORE / MZMTP_RECV_PARTIAL: mzmtp_types.h. */

/**
 * Look at the frame being read at the head: @p *ptr[0..*avail) are its next bytes,
 * @p *frame_left the bytes of this frame still unread (≥ *avail).
 * @return MZMTP_OK, or MZMTP_AGAIN when no byte of it is buffered yet.
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_conn_peek(mzmtp_conn_t *conn, const uint8_t **ptr,
                                               size_t *avail, uint64_t *frame_left,
                                               bool *more);
/**
 * Copy the next bytes of the head message's current frame into @p buf.
 * @param[out] n     Bytes copied.
 * @param[out] flags MZMTP_RECV_MORE / MZMTP_RECV_PARTIAL.
 * @return MZMTP_OK, or MZMTP_AGAIN if no complete (or streaming) message is at the head.
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_conn_read(mzmtp_conn_t *conn, uint8_t *buf, size_t cap,
                                               size_t *n, unsigned *flags);
#if MZMTP_CONF_RECV_REF
/**
 * As mzmtp_conn_read(), without the copy: @p *data points at the bytes in the receive
 * buffer (every buffered byte of the current frame). Valid until the next call that may
 * move the buffer: mzmtp_conn_rx_space(), mzmtp_conn_input(), mzmtp_conn_process().
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_conn_read_ref(mzmtp_conn_t *conn, const uint8_t **data,
                                                   size_t *n, unsigned *flags);
#endif
/** Drop the rest of the head message, including bytes that have not arrived yet. */
void mzmtp_conn_skip(mzmtp_conn_t *conn);
/** @return true while part of the head message has been read and part has not. */
bool mzmtp_conn_in_message(const mzmtp_conn_t *conn);

/**
 * Queue a subscription for the peer: SUBSCRIBE/CANCEL to a 3.1 peer, a 0x01/0x00-prefixed
 * data frame to a 3.0 peer (wire-notes H2, H5).
 * @return MZMTP_OK, MZMTP_AGAIN (command buffer full; retry after output drains),
 *         MZMTP_ERR_STATE (handshake not done).
 */
MZMTP_NODISCARD mzmtp_status_t mzmtp_conn_send_subscription(mzmtp_conn_t *conn,
                                                            const uint8_t *topic,
                                                            size_t len, bool subscribe);
/** Queue an ERROR command with @p reason[0..len) (at most 255 bytes are sent) and make
 *  the engine dead (MZMTP_ERR_PROTOCOL). */
void mzmtp_conn_send_error(mzmtp_conn_t *conn, const char *reason, size_t len);

/** Fill up to @p max vectors with what to write next; @return vectors filled (0: nothing). */
size_t mzmtp_conn_output(mzmtp_conn_t *conn, mzmtp_iov_t *iov, size_t max);
/** @p n bytes of the vectors from mzmtp_conn_output() were written, and the port keeps no
 *  pointer to them (it copied them, or the stack did): written and acknowledged at once. */
void mzmtp_conn_output_done(mzmtp_conn_t *conn, size_t n);
#if MZMTP_CONF_TX_ACK
/**
 * @p n bytes of the vectors from mzmtp_conn_output() were handed to the stack, which may
 * keep pointers to those of vectors marked `stable` until mzmtp_conn_output_acked().
 * A connection uses either this pair or mzmtp_conn_output_done(), not both.
 */
void mzmtp_conn_output_written(mzmtp_conn_t *conn, size_t n);
/**
 * The stack no longer needs the next @p n bytes written (lwIP: its tcp_sent callback), in
 * the order they were written, copied or not. More than was written counts as all.
 * Safe on a dead engine: the bytes are released all the same.
 */
void mzmtp_conn_output_acked(mzmtp_conn_t *conn, size_t n);
#endif
/** @return true when the engine has bytes to write. */
bool mzmtp_conn_has_output(const mzmtp_conn_t *conn);

/** Run timers. @return MZMTP_OK or MZMTP_ERR_TIMEOUT (fatal). */
MZMTP_NODISCARD mzmtp_status_t mzmtp_conn_tick(mzmtp_conn_t *conn, uint32_t now_ms);
/** @return Milliseconds until mzmtp_conn_tick() has work, or UINT32_MAX for none. */
uint32_t mzmtp_conn_next_timeout(const mzmtp_conn_t *conn, uint32_t now_ms);

/** Wipe the engine's secrets (CURVE keys and handshake scratch); the socket calls it
 *  when the connection ends. Messages already buffered stay readable. */
void mzmtp_conn_wipe(mzmtp_conn_t *conn);

/** @return The peer's ZMTP minor version (0 = 3.0), valid after the greeting. */
static inline unsigned mzmtp_conn_peer_minor(const mzmtp_conn_t *conn) { return conn->peer_minor; }
static inline mzmtp_conn_state_t mzmtp_conn_state(const mzmtp_conn_t *conn)
{
    return (mzmtp_conn_state_t)conn->state;
}

#endif /* MZMTP_CONN_H */

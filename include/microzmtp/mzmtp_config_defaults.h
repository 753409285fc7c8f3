/**
 * @file mzmtp_config_defaults.h
 * @brief Every compile-time option of microzmtp, with its unit, range, default and RAM cost.
 *
 * Override an option by defining it before this header is read: either on the compiler
 * command line (-DMZMTP_CONF_MAX_PEERS=2) or in a header of your own named by
 * MZMTP_CONFIG_FILE (-DMZMTP_CONFIG_FILE='"my_mzmtp_conf.h"'), which is included first.
 * On Contiki-NG the port includes project-conf.h through the same mechanism.
 *
 * Runtime-sized memory (the send ring and the per-peer receive buffers) is not set here:
 * the application hands it to mzmtp_socket_init(); see MZMTP_SOCKET_MEM_DEFINE().
 */
#ifndef MZMTP_CONFIG_DEFAULTS_H
#define MZMTP_CONFIG_DEFAULTS_H

#ifdef MZMTP_CONFIG_FILE
#include MZMTP_CONFIG_FILE
#endif

/**
 * Maximum number of peers (connections) one socket can hold at once.
 * Unit: peers. Range: 1..65535. Default: 4.
 * RAM: 12 B of queue state per peer in the socket struct; then, per peer slot a socket
 * is given (mzmtp_socket_mem_t): sizeof(mzmtp_peer_t) (152 B on Cortex-M3,
 * docs/memory.md), its peer_buf area (command buffer and what the socket's type and
 * mechanism keep per peer) and its receive buffer. Sets of peers
 * (the socket's seven, one per send slot, one per subscription) take one 32-bit word
 * each up to 32 peers, and 4 B per further 32 peers beyond: see MZMTP_CONF_SEND_SLOTS
 * and MZMTP_CONF_SUB_BYTES, which grow with it.
 */
#ifndef MZMTP_CONF_MAX_PEERS
#define MZMTP_CONF_MAX_PEERS 4
#endif

/**
 * Bytes of subscription storage per socket (PUB/XPUB: every peer's topics; SUB/XSUB: the
 * socket's own topics). Each topic costs its length plus 4 B and a peer set (4 B per 32
 * peers of MZMTP_CONF_MAX_PEERS, rounded up); with MZMTP_CONF_SUB_TRIE, 24 B per 10 bytes
 * of topic not shared with another and 24 B per 160 peers subscribed to it.
 * Unit: bytes. Range: 16..65535 (up to 1572840 with MZMTP_CONF_SUB_TRIE), at least one
 * topic of MZMTP_CONF_MAX_TOPIC bytes. Default: 256. RAM: exactly this many bytes.
 */
#ifndef MZMTP_CONF_SUB_BYTES
#define MZMTP_CONF_SUB_BYTES 256
#endif

/**
 * 1: subscriptions are kept in a trie (src/util/mzmtp_subtrie.h): matching a message costs
 * the length of its first frame plus the peer-set words of the topics it matches, however
 * many topics and peers there are; a topic costs a 24-byte cell per 10 bytes of it (fewer
 * where topics share a prefix) and a 24-byte cell per 160 peers subscribed to it (sparse:
 * one cell for one subscriber, whatever MZMTP_CONF_MAX_PEERS is). 0: a packed table that
 * is scanned whole for every message, each topic with a full peer set (4 B per 32 peers
 * of MZMTP_CONF_MAX_PEERS), which is smaller code and cheaper for a few peers and topics.
 * Default: 1 when MZMTP_CONF_MAX_PEERS > 8 (a gateway or a host), else 0 (a
 * microcontroller keeps the smaller code: the trie is about 1.4 KB of Cortex-M3 flash).
 * RAM: none (the storage is MZMTP_CONF_SUB_BYTES either way).
 */
#ifndef MZMTP_CONF_SUB_TRIE
#define MZMTP_CONF_SUB_TRIE (MZMTP_CONF_MAX_PEERS > 8)
#endif

/**
 * 1: a ROUTER finds the peer of a routing id through a hash table (open addressing,
 * src/util/mzmtp_idmap.h) instead of comparing the id with every peer's. 0: the scan.
 * Default: 1 when MZMTP_CONF_MAX_PEERS > 8, else 0. RAM: 2 B per slot, the slots being
 * the power of two at or above 2 × MZMTP_CONF_MAX_PEERS (128 B for 32 peers, 16 KB for
 * 5000), per socket, in the socket's family union (a ROUTER has no subscription storage
 * or REP envelope): the socket grows only by what it needs beyond those.
 */
#ifndef MZMTP_CONF_ROUTER_HASH
#define MZMTP_CONF_ROUTER_HASH (MZMTP_CONF_MAX_PEERS > 8)
#endif

/**
 * 1: a socket keeps an earliest time at which any of its peers' timers (handshake,
 * heartbeat, TTL) may be due, lowered whenever an engine arms one, so that
 * mzmtp_socket_next_timeout() costs O(1) and mzmtp_socket_tick() walks the peers only
 * once that time has come (a port's loop pass no longer visits every slot). 0: both walk
 * every slot taken, each call. Default: 1 when MZMTP_CONF_MAX_PEERS > 8, else 0 (a walk
 * of a few slots is smaller code). RAM: 8 B per socket.
 */
#ifndef MZMTP_CONF_TIMER_CACHE
#define MZMTP_CONF_TIMER_CACHE (MZMTP_CONF_MAX_PEERS > 8)
#endif

/**
 * 1: a socket keeps its peers' timers in a binary min-heap of (deadline, peer) entries
 * (src/socket/timerq.c), one entry per peer slot at most, so that mzmtp_socket_tick()
 * visits only the peers whose entry is due, O((due peers) × log(peers)), instead of every
 * slot taken once the earliest timer is due (MZMTP_CONF_TIMER_CACHE), and
 * mzmtp_socket_next_timeout() stays O(1). An entry is a lower bound: traffic moves a
 * heartbeat later without telling the heap, so a due entry is checked against its engine
 * and, when early, moved to the engine's deadline (a tick never comes late). It takes
 * the place of MZMTP_CONF_TIMER_CACHE (which it makes unused). 0: the cache or the walk.
 * Default: 1 when MZMTP_CONF_MAX_PEERS > 32, else 0 (microcontroller builds: a walk of
 * a few slots is smaller code). RAM: 8 B per peer slot, in mzmtp_peer_t (so in the
 * application's peer array, mzmtp_socket_mem_t: the heap is sized by its max_peers),
 * and 2 B per socket; the cache's 8 B per socket go.
 */
#ifndef MZMTP_CONF_TIMER_HEAP
#define MZMTP_CONF_TIMER_HEAP (MZMTP_CONF_MAX_PEERS > 32)
#endif

/**
 * 1: the free peer slots form a stack threaded through the slots themselves (a 16-bit
 * link in each, in what was padding), so that mzmtp_socket_peer_open() costs O(1)
 * whatever the number of slots; the slot freed last is taken first. 0: open() takes the
 * lowest free slot, scanning from slot 0 (smaller code, and a few slots are quickly
 * scanned). Default: 1 when MZMTP_CONF_MAX_PEERS > 32, else 0. RAM: 2 B per socket (the
 * link fits in each slot's padding).
 */
#ifndef MZMTP_CONF_PEER_FREELIST
#define MZMTP_CONF_PEER_FREELIST (MZMTP_CONF_MAX_PEERS > 32)
#endif

/**
 * 1: a socket keeps the set of peers whose wants (receive room, output queued: what a
 * port asks the kernel for) may have changed since the port last asked, and
 * mzmtp_socket_peer_next_changed() reports them, so that a port re-arms only those
 * instead of walking every peer after each event (ports/posix does). 0: no report; a
 * port walks its peers. Default: 1 when MZMTP_CONF_MAX_PEERS > 32 (the host profile
 * turns it on at 32), else 0: microcontroller ports have a few peers and walk them.
 * RAM: one peer set per socket (4 B per 32 peers).
 */
#ifndef MZMTP_CONF_PEER_CHANGES
#define MZMTP_CONF_PEER_CHANGES (MZMTP_CONF_MAX_PEERS > 32)
#endif

/**
 * Longest subscription topic accepted, in bytes. A peer's longer SUBSCRIBE closes that
 * connection with MZMTP_ERR_PEER_LIMIT. Range: 0..255. Default: 64. RAM: none.
 */
#ifndef MZMTP_CONF_MAX_TOPIC
#define MZMTP_CONF_MAX_TOPIC 64
#endif

/**
 * Messages the send ring of one socket can index at once (shared by all its peers; a PUB
 * message sent to N subscribers takes one slot). Unit: messages. Range: 2..65535.
 * Default: 16. RAM per slot: 12 B up to 32 peers (the slot holds its one-word peer set);
 * 20 B beyond, whatever MZMTP_CONF_MAX_PEERS is (a reference count and a recipient set
 * shared with other slots, MZMTP_CONF_SEND_GROUPS); + 8 B with MZMTP_CONF_SEND_REF.
 */
#ifndef MZMTP_CONF_SEND_SLOTS
#define MZMTP_CONF_SEND_SLOTS 16
#endif

/**
 * With MZMTP_CONF_MAX_PEERS > 32: distinct recipient sets the send ring holds at once (a
 * PUB's messages to the same subscribers share one; a message for one peer needs none).
 * While all are taken by queued messages, mzmtp_outq_can_take() is false, and a PUB
 * sheds its slowest subscribers as for a full ring. Unit: sets. Range: 1..250.
 * Default: 8. RAM: 4 B + 4 B per 32 peers each (1,256 B at 10,000 peers); none up to 32
 * peers (each slot holds its set).
 */
#ifndef MZMTP_CONF_SEND_GROUPS
#define MZMTP_CONF_SEND_GROUPS 8
#endif

/**
 * Default bytes of each connection's command output buffer: what it sends after the
 * greeting (which comes from flash): READY (60 B + the identity; CURVE: 84 B + it),
 * SUBSCRIBEs (MZMTP_CONF_MAX_TOPIC + 12, or + 19 above 245 B), PING/PONG, ERROR, a PLAIN
 * client's HELLO. The buffers are not in the engine: they come from the socket's
 * mem->peer_buf, sized per socket (mzmtp_socket_peer_buf_bytes(): 96 B, MZMTP_CMD_MIN,
 * for a PUB, PUSH or PULL; MZMTP_CMD_SUBSCRIBE_MAX for a SUB). This option is what
 * MZMTP_SOCKET_MEM_DEFINE gives every socket, so it must hold the worst case of the
 * build (checked below). Range: 96..65535. Default: 128. RAM: this many bytes per peer
 * slot declared with MZMTP_SOCKET_MEM_DEFINE.
 */
#ifndef MZMTP_CONF_CMD_BUF
#define MZMTP_CONF_CMD_BUF 128
#endif

/**
 * Longest routing id (ZMQ_ROUTING_ID) a socket sends, and a ROUTER stores per peer.
 * A peer whose Identity is longer is refused (MZMTP_ERR_PEER_LIMIT). Generated ids take 5 B.
 * Unit: bytes. Range: 5..255. Default: 16. RAM: this per socket, and 1 + this per peer of
 * a ROUTER socket (in mem->peer_buf, MZMTP_PEER_BUF_RID).
 */
#ifndef MZMTP_CONF_ROUTING_ID_MAX
#define MZMTP_CONF_ROUTING_ID_MAX 16
#endif

/**
 * Bytes of a REP socket's stored envelope (the routing frames of the request being
 * answered, encoded). A request with a longer envelope is dropped. Range: 16..65535.
 * Default: 64. RAM: this many bytes per socket.
 */
#ifndef MZMTP_CONF_ENVELOPE_MAX
#define MZMTP_CONF_ENVELOPE_MAX 64
#endif

/** Bits for MZMTP_CONF_SOCKET_TYPES: bit N is socket type N (libzmq's numbering). */
#define MZMTP_TYPESET_PAIR 0x0001u
#define MZMTP_TYPESET_PUB 0x0002u
#define MZMTP_TYPESET_SUB 0x0004u
#define MZMTP_TYPESET_REQ 0x0008u
#define MZMTP_TYPESET_REP 0x0010u
#define MZMTP_TYPESET_DEALER 0x0020u
#define MZMTP_TYPESET_ROUTER 0x0040u
#define MZMTP_TYPESET_PULL 0x0080u
#define MZMTP_TYPESET_PUSH 0x0100u
#define MZMTP_TYPESET_XPUB 0x0200u
#define MZMTP_TYPESET_XSUB 0x0400u
#define MZMTP_TYPESET_ALL 0x07FFu

/**
 * The socket types this build supports, as an OR of MZMTP_TYPESET_* bits. The code of a
 * type left out is not linked (a PUB-only node saves about 2.5 KB of flash); creating such
 * a socket gives MZMTP_ERR_NOT_SUPPORTED. Default: MZMTP_TYPESET_ALL. RAM: none.
 */
#ifndef MZMTP_CONF_SOCKET_TYPES
#define MZMTP_CONF_SOCKET_TYPES MZMTP_TYPESET_ALL
#endif

/**
 * 1: heartbeats of our own — PING every MZMTP_OPT_HEARTBEAT_IVL, a silent peer closed
 * after its timeout, a peer's PING TTL enforced. 0: leave them out (about 300 B of
 * flash); PINGs from peers are still answered with PONG, which interop needs.
 * Default: 1. RAM: none.
 */
#ifndef MZMTP_CONF_HEARTBEAT
#define MZMTP_CONF_HEARTBEAT 1
#endif

/**
 * 1: the PLAIN mechanism (RFC 24) is compiled in, client and server, with the socket's
 * authenticator, User-Id and peer address (mzmtp_security.h). 0: NULL only; the PLAIN
 * options return MZMTP_ERR_NOT_SUPPORTED. Default: 1. Flash: about 1 KB on Cortex-M3.
 * RAM per socket: 2 × MZMTP_CONF_PLAIN_CRED_MAX + about 20 bytes; per peer of a server
 * socket (in mem->peer_buf, MZMTP_PEER_BUF_AUTH): MZMTP_USER_ID_MAX + MZMTP_CONF_ADDRESS_MAX.
 */
#ifndef MZMTP_CONF_PLAIN
#define MZMTP_CONF_PLAIN 1
#endif

/**
 * 1: the CURVE mechanism (RFC 25/26) is compiled in; it needs a crypto backend
 * (libsodium: link it) and a random source per socket. 0: NULL and PLAIN only, no crypto
 * code. Default: 0 (the host build turns it on). RAM and flash: see docs/security.md.
 */
#ifndef MZMTP_CONF_CURVE
#define MZMTP_CONF_CURVE 0
#endif

/**
 * CURVE: the scratch into which outgoing frames are boxed as MESSAGE commands, one per
 * socket, shared by its connections (the send ring stays shared too and holds plaintext;
 * a connection keeps only a cursor). Frames whose boxes fit go several to a write; a
 * larger one goes in windows of this size (the MAC first, then the ciphertext). A
 * connection that finds its bytes replaced by another's boxes them again (same bytes).
 * Unit: bytes. Range: 128..65535. Default: 256. RAM: this much + 12 per socket.
 */
#ifndef MZMTP_CONF_CURVE_TX_BUF
#define MZMTP_CONF_CURVE_TX_BUF 256
#endif

/**
 * CURVE server: the cookie key (RFC 26 "The WELCOME Command") is replaced this often; a
 * cookie made with the previous key is still accepted, an older one is refused.
 * Unit: ms. Range: 1000..60000. Default: 60000.
 */
/**
 * CURVE: handshakes a socket runs at once (its pool of handshake slots). A client holds
 * a slot from its HELLO until its INITIATE is written, a server from a peer's HELLO until
 * its WELCOME is written (the server keeps nothing else until INITIATE: RFC 26). A
 * connection that finds no free slot is refused: a client's connection does not start
 * (MZMTP_ERR_NO_MEMORY), a server closes the peer without ERROR (MZMTP_ERR_NO_MEMORY);
 * libzmq peers reconnect.
 * Unit: handshakes. Range: 1..255. Default: 2.
 * RAM: (118 + 310 + MZMTP_CONF_ROUTING_ID_MAX) bytes each (444 with the defaults), per socket.
 */
#ifndef MZMTP_CONF_CURVE_HANDSHAKES
#define MZMTP_CONF_CURVE_HANDSHAKES 2
#endif

/**
 * Where a CURVE engine keeps its per-connection state (mzmtp_curve_state_t: session key,
 * nonces, the batch being boxed; 96 B). 1: at the front of the connection's command area
 * in mem->peer_buf, and only in a CURVE socket's areas, so that the NULL and PLAIN
 * connections of a build with CURVE do not carry it (hosts with thousands of peers).
 * 0: inside every engine (mzmtp_conn_t), which costs each connection of the build those
 * bytes but no flash for the indirection (about 80 B on Cortex-M3). Range: 0..1.
 * Default: 1 when MZMTP_CONF_MAX_PEERS > 32, else 0. RAM: see above; no effect without
 * MZMTP_CONF_CURVE.
 */
#ifndef MZMTP_CONF_CURVE_STATE_APART
#define MZMTP_CONF_CURVE_STATE_APART (MZMTP_CONF_MAX_PEERS > 32)
#endif

#ifndef MZMTP_CONF_CURVE_COOKIE_MS
#define MZMTP_CONF_CURVE_COOKIE_MS 60000u
#endif

/**
 * Longest PLAIN user name and password a client socket stores (MZMTP_OPT_PLAIN_USERNAME,
 * _PASSWORD). Longer values are refused by mzmtp_socket_setopt(). A server takes any
 * length the peer sends (RFC 24: up to 255) straight from its receive buffer.
 * Unit: bytes. Range: 1..255. Default: 48 (so that a HELLO fits MZMTP_CONF_CMD_BUF 128).
 * RAM: 2 × this per socket.
 */
#ifndef MZMTP_CONF_PLAIN_CRED_MAX
#define MZMTP_CONF_PLAIN_CRED_MAX 48
#endif

/**
 * Longest peer address text kept per peer for the authenticator, bytes with the NUL.
 * Range 1..255 (1 = none kept). Default: 48 (an IPv6 address with port). RAM: this many
 * bytes per peer of a PLAIN or CURVE server socket (in mem->peer_buf).
 */
#ifndef MZMTP_CONF_ADDRESS_MAX
#define MZMTP_CONF_ADDRESS_MAX 48
#endif

/**
 * 1: frames and messages up to 2^63 bytes, counted in 64-bit arithmetic. 0: up to 2 GiB
 * (0x7FF00000 bytes) each, in 32-bit arithmetic, which is smaller and faster on 32-bit
 * MCUs; a larger frame closes the connection with MZMTP_ERR_MSG_SIZE. Either way a
 * frame larger than the receive buffer streams through. Default: 0. RAM: 24 B per
 * connection more with 1 (measured on Cortex-M3, alignment included).
 */
#ifndef MZMTP_CONF_LARGE_FRAMES
#define MZMTP_CONF_LARGE_FRAMES 0
#endif

/**
 * 1: mzmtp_socket_send_ref() can send a message's last frame straight from the
 * application's memory, so a message larger than the send ring can go out (only its
 * frame headers take ring space). 0: leave it out. Default: 1.
 * RAM: 8 B per send slot (MZMTP_CONF_SEND_SLOTS).
 */
#ifndef MZMTP_CONF_SEND_REF
#define MZMTP_CONF_SEND_REF 1
#endif

/**
 * 1: the transmit path tells bytes "written" from "acknowledged", for a port whose TCP
 * stack keeps pointers to the bytes it was given until the peer acknowledges them (lwIP's
 * tcp_write without TCP_WRITE_FLAG_COPY). mzmtp_conn_output() then marks each vector
 * `stable` (send-ring bytes and bodies sent by reference: they stay put until released)
 * or not (greeting, commands, CURVE boxes: copy them now); the port reports
 * mzmtp_conn_output_written() as it queues bytes and mzmtp_conn_output_acked() as the
 * stack releases them, and a send slot is reused only once every peer's acknowledged
 * position passed it. Ports that copy keep calling mzmtp_conn_output_done() (written and
 * acknowledged at once). 0: every port copies; output_done() is the only call.
 * Default: 0. RAM (Cortex-M3): 8 B per peer slot in the send ring and 16 B per connection
 * engine; flash: about 600 B (make -C bench/size).
 */
#ifndef MZMTP_CONF_TX_ACK
#define MZMTP_CONF_TX_ACK 0
#endif

/**
 * 1: mzmtp_socket_recv_ref() hands out received frames where they lie in the receive
 * buffer, without copying them. 0: leave it out. Default: 1. RAM: none.
 */
#ifndef MZMTP_CONF_RECV_REF
#define MZMTP_CONF_RECV_REF 1
#endif

/**
 * Default handshake timeout (greeting + READY), ms; 0 = none. Runtime option too.
 */
#ifndef MZMTP_CONF_HANDSHAKE_IVL_MS
#define MZMTP_CONF_HANDSHAKE_IVL_MS 30000u
#endif

/** Default send high-water mark per peer, messages (0 = no limit but memory). */
#ifndef MZMTP_CONF_SNDHWM
#define MZMTP_CONF_SNDHWM 1000u
#endif

/** Default receive high-water mark per peer, complete messages buffered (0 = no limit). */
#ifndef MZMTP_CONF_RCVHWM
#define MZMTP_CONF_RCVHWM 1000u
#endif

/* ---- consistency checks ---- */
#if (MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_ALL) == 0 || (MZMTP_CONF_SOCKET_TYPES & ~MZMTP_TYPESET_ALL) != 0
#error "MZMTP_CONF_SOCKET_TYPES must be a non-empty OR of MZMTP_TYPESET_* bits"
#endif
#if MZMTP_CONF_ROUTING_ID_MAX < 5 || MZMTP_CONF_ROUTING_ID_MAX > 255
#error "MZMTP_CONF_ROUTING_ID_MAX must be 5..255"
#endif
#if MZMTP_CONF_ENVELOPE_MAX < 16 || MZMTP_CONF_ENVELOPE_MAX > 65535
#error "MZMTP_CONF_ENVELOPE_MAX must be 16..65535"
#endif
#if MZMTP_CONF_ROUTING_ID_MAX + 60 > MZMTP_CONF_CMD_BUF
#error "MZMTP_CONF_CMD_BUF must hold a READY with an identity of MZMTP_CONF_ROUTING_ID_MAX bytes"
#endif
/* Peer slots are 16-bit (0xFFFF means "no peer"). */
#if MZMTP_CONF_MAX_PEERS < 1 || MZMTP_CONF_MAX_PEERS > 65535
#error "MZMTP_CONF_MAX_PEERS must be 1..65535"
#endif
#if MZMTP_CONF_SUB_TRIE != 0 && MZMTP_CONF_SUB_TRIE != 1
#error "MZMTP_CONF_SUB_TRIE must be 0 or 1"
#endif
#if MZMTP_CONF_ROUTER_HASH != 0 && MZMTP_CONF_ROUTER_HASH != 1
#error "MZMTP_CONF_ROUTER_HASH must be 0 or 1"
#endif
#if MZMTP_CONF_TIMER_CACHE != 0 && MZMTP_CONF_TIMER_CACHE != 1
#error "MZMTP_CONF_TIMER_CACHE must be 0 or 1"
#endif
#if MZMTP_CONF_TIMER_HEAP != 0 && MZMTP_CONF_TIMER_HEAP != 1
#error "MZMTP_CONF_TIMER_HEAP must be 0 or 1"
#endif
#if MZMTP_CONF_PEER_FREELIST != 0 && MZMTP_CONF_PEER_FREELIST != 1
#error "MZMTP_CONF_PEER_FREELIST must be 0 or 1"
#endif
#if MZMTP_CONF_PEER_CHANGES != 0 && MZMTP_CONF_PEER_CHANGES != 1
#error "MZMTP_CONF_PEER_CHANGES must be 0 or 1"
#endif
#if MZMTP_CONF_SUB_TRIE
/* 24-byte cells, 16-bit cell links: the header, the root, one topic of
 * MZMTP_CONF_MAX_TOPIC bytes (a cell per 10) and a peer chunk at least. */
#if MZMTP_CONF_SUB_BYTES > 65535 * 24
#error "MZMTP_CONF_SUB_BYTES must be at most 1572840 (65535 cells) with MZMTP_CONF_SUB_TRIE"
#endif
#if MZMTP_CONF_SUB_BYTES / 24 < 3 + (MZMTP_CONF_MAX_TOPIC + 9) / 10
#error "MZMTP_CONF_SUB_BYTES must hold a trie of one topic of MZMTP_CONF_MAX_TOPIC bytes (24 B per 10 topic bytes, plus 72 B)"
#endif
#elif MZMTP_CONF_SUB_BYTES < 16 || MZMTP_CONF_SUB_BYTES > 65535
#error "MZMTP_CONF_SUB_BYTES must be 16..65535"
#endif
#if MZMTP_CONF_MAX_TOPIC > 255
#error "MZMTP_CONF_MAX_TOPIC must be 0..255"
#endif
/* A table entry: 4 B, a peer set, the topic (src/socket/socket.c). */
#if !MZMTP_CONF_SUB_TRIE && MZMTP_CONF_MAX_TOPIC + 4 + 4 * ((MZMTP_CONF_MAX_PEERS + 31) / 32) > MZMTP_CONF_SUB_BYTES
#error "MZMTP_CONF_SUB_BYTES must hold at least one topic of MZMTP_CONF_MAX_TOPIC bytes"
#endif
#if MZMTP_CONF_SEND_SLOTS < 2 || MZMTP_CONF_SEND_SLOTS > 65535
#error "MZMTP_CONF_SEND_SLOTS must be 2..65535"
#endif
#if MZMTP_CONF_SEND_GROUPS < 1 || MZMTP_CONF_SEND_GROUPS > 250
#error "MZMTP_CONF_SEND_GROUPS must be 1..250"
#endif
/* Internal: a mechanism other than NULL is compiled in (authenticator, User-Id, address). */
#define MZMTP_SECURITY (MZMTP_CONF_PLAIN || MZMTP_CONF_CURVE)
#if MZMTP_CONF_CURVE && (MZMTP_CONF_CURVE_TX_BUF < 128 || MZMTP_CONF_CURVE_TX_BUF > 65535)
#error "MZMTP_CONF_CURVE_TX_BUF must be 128..65535"
#endif
#if MZMTP_CONF_CURVE && (MZMTP_CONF_CURVE_COOKIE_MS < 1000 || MZMTP_CONF_CURVE_COOKIE_MS > 60000)
#error "MZMTP_CONF_CURVE_COOKIE_MS must be 1000..60000"
#endif
/* A CURVE server queues its READY (a NULL READY + 8-byte nonce + 16-byte MAC) in the
 * command buffer; the larger handshake commands use a handshake slot. */
#if MZMTP_CONF_CURVE && MZMTP_CONF_ROUTING_ID_MAX + 84 > MZMTP_CONF_CMD_BUF
#error "MZMTP_CONF_CMD_BUF must hold a CURVE READY (MZMTP_CONF_ROUTING_ID_MAX + 84 bytes)"
#endif
#if MZMTP_CONF_CURVE_STATE_APART != 0 && MZMTP_CONF_CURVE_STATE_APART != 1
#error "MZMTP_CONF_CURVE_STATE_APART must be 0 or 1"
#endif
#if MZMTP_CONF_CURVE && (MZMTP_CONF_CURVE_HANDSHAKES < 1 || MZMTP_CONF_CURVE_HANDSHAKES > 255)
#error "MZMTP_CONF_CURVE_HANDSHAKES must be 1..255"
#endif
#if MZMTP_CONF_PLAIN_CRED_MAX < 1 || MZMTP_CONF_PLAIN_CRED_MAX > 255
#error "MZMTP_CONF_PLAIN_CRED_MAX must be 1..255"
#endif
#if 2 * MZMTP_CONF_PLAIN_CRED_MAX + 18 > MZMTP_CONF_CMD_BUF
#error "MZMTP_CONF_CMD_BUF must hold a PLAIN HELLO with the longest credentials"
#endif
#if MZMTP_CONF_ADDRESS_MAX < 1 || MZMTP_CONF_ADDRESS_MAX > 255
#error "MZMTP_CONF_ADDRESS_MAX must be 1..255"
#endif
#if MZMTP_CONF_CMD_BUF < 96 || MZMTP_CONF_CMD_BUF > 65535
#error "MZMTP_CONF_CMD_BUF must be 96..65535"
#endif
/* a SUBSCRIBE: name 10 B, a short frame header up to 245 topic bytes, a long one above */
#if MZMTP_CONF_MAX_TOPIC + (MZMTP_CONF_MAX_TOPIC > 245 ? 19 : 12) > MZMTP_CONF_CMD_BUF
#error "MZMTP_CONF_CMD_BUF must hold a SUBSCRIBE of MZMTP_CONF_MAX_TOPIC bytes"
#endif

#endif /* MZMTP_CONFIG_DEFAULTS_H */

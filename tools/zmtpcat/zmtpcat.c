/*
 * zmtpcat: a command-line ZeroMQ peer built on microzmtp and its POSIX port.
 *
 *   zmtpcat TYPE (-b ENDPOINT | -c ENDPOINT)... [options]
 *   zmtpcat keygen        (a new CURVE key pair: public, then secret, in Z85)
 *
 * One stdin line is one message, its frames separated by TAB (or -d STR); received
 * messages are printed the same way, one per line. Heap is fine here: this is a tool, the
 * library underneath still allocates nothing.
 *
 * Exit status: 0 done, 1 runtime error, 2 usage error, 3 timeout.
 */
#include "mzmtp_posix.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2
#define EXIT_TIMEOUT 3

/* Big buffers: 1 MiB+ messages must go through. The send ring holds whole encoded
 * messages; received frames larger than a peer's buffer stream through in pieces. */
#define SEND_RING_BYTES (8u << 20)
/* PUB/XPUB: a subscriber whose queue has not moved for this long is stalled, ms. */
#define PUB_STALL_MS 100u
#define RECV_PEER_BYTES (64u << 10)
/* CURVE: a MESSAGE is authenticated as a whole, so it cannot stream through; the core
 * refuses (MZMTP_ERR_MSG_SIZE) a frame larger than the receive buffer per peer minus 40
 * bytes. The default takes a 1 MiB frame with room to spare; --rcvbuf changes it. */
#define RECV_PEER_BYTES_CURVE ((1u << 20) + (4u << 10))
/* Allocated at start (a tool may use the heap; the core only sees the memory). Pages of a
 * large receive buffer that no peer fills are never touched. */
static mzmtp_socket_mem_t cat_mem;

static mzmtp_socket_t cat_sock;
static mzmtp_posix_t cat_io;
static volatile sig_atomic_t cat_signal; /* SIGINT/SIGTERM received: close and leave */

static void on_signal(int sig) { cat_signal = sig; }

enum { ROLE_SEND = 1, ROLE_RECV = 2, ROLE_STDIN = 4 };

static const struct {
    const char *name;
    int type;
    unsigned roles;
} types[] = {
    {"pub", MZMTP_PUB, ROLE_SEND | ROLE_STDIN},
    {"sub", MZMTP_SUB, ROLE_RECV},
    {"xpub", MZMTP_XPUB, ROLE_SEND | ROLE_RECV | ROLE_STDIN},
    {"xsub", MZMTP_XSUB, ROLE_SEND | ROLE_RECV | ROLE_STDIN},
    {"push", MZMTP_PUSH, ROLE_SEND | ROLE_STDIN},
    {"pull", MZMTP_PULL, ROLE_RECV},
    {"req", MZMTP_REQ, ROLE_SEND | ROLE_RECV | ROLE_STDIN},
    {"rep", MZMTP_REP, ROLE_SEND | ROLE_RECV},
    {"dealer", MZMTP_DEALER, ROLE_SEND | ROLE_RECV | ROLE_STDIN},
    {"router", MZMTP_ROUTER, ROLE_SEND | ROLE_RECV | ROLE_STDIN},
    {"pair", MZMTP_PAIR, ROLE_SEND | ROLE_RECV | ROLE_STDIN},
};

/* ------------------------------------ options ------------------------------------------ */

typedef struct options {
    int type;
    const char *type_name;
    unsigned roles;
    const char **endpoints; /* argv strings */
    bool *is_bind;
    size_t n_endpoints;
    const char **topics;
    size_t n_topics;
    const char *delim;
    size_t delim_len;
    bool hex, verbose, print_endpoint;
    const char *reply;
    const char *identity;     /* --identity: routing id sent in READY */
    unsigned long count;      /* -n; 0 = no limit */
    long timeout_ms;          /* --timeout; -1 = none */
    long linger_ms;           /* --linger */
    unsigned long wait_peers; /* --wait-peers */
    bool has_sndhwm, has_rcvhwm, has_maxmsgsize;
    uint32_t sndhwm, rcvhwm, hb_ivl, hb_timeout, hb_ttl;
    uint64_t maxmsgsize;
    const char *plain_user, *plain_pass; /* --plain-user/--plain-pass: a PLAIN client */
    const char **plain_allow;            /* --plain-server U:P, repeatable: a PLAIN server */
    size_t n_plain_allow;
    bool curve_server, curve_client, has_curve_secret;
    uint8_t curve_key[MZMTP_CURVE_KEY_LEN];    /* server: our secret; client: the server's public */
    uint8_t curve_secret[MZMTP_CURVE_KEY_LEN]; /* client: --curve-secret */
    uint8_t (*curve_allow)[MZMTP_CURVE_KEY_LEN]; /* --curve-allow, repeatable */
    size_t n_curve_allow;
    size_t rcvbuf;                        /* --rcvbuf: receive buffer per peer, bytes */
    unsigned long max_peers;              /* --max-peers: peers per socket asked; 0 = default */
} options_t;

static void usage(FILE *out)
{
    fputs("usage: zmtpcat TYPE (-b ENDPOINT | -c ENDPOINT)... [options]\n"
          "TYPE: pub sub xpub xsub push pull req rep dealer router pair\n"
          "  -b ENDPOINT           bind (tcp://IP:PORT, tcp://*:PORT, PORT 0 = any; ipc://PATH)\n"
          "  -c ENDPOINT           connect (tcp://HOST:PORT, ipc://PATH); repeatable\n"
          "  -d STR                frame delimiter within a line (default TAB)\n"
          "  --hex                 read and write every frame as lowercase hex\n"
          "  -s TOPIC              subscribe (sub/xsub; repeatable; default everything)\n"
          "  -n N                  exit 0 after receiving N messages\n"
          "  --timeout MS          exit 3 when nothing was received for MS\n"
          "  --linger MS           at stdin EOF, flush for at most MS (default 2000)\n"
          "  --wait-peers N        send only once N peers are connected (pub/xpub: and\n"
          "                        have subscribed)\n"
          "  --reply TEXT          rep: answer every request with TEXT instead of echoing\n"
          "  --sndhwm N, --rcvhwm N, --maxmsgsize N\n"
          "  --heartbeat IVL_MS, --heartbeat-timeout MS, --heartbeat-ttl MS\n"
          "  --identity ID\n"
          "  --plain-user U --plain-pass P, --plain-server U:P\n"
          "  --curve-server SECRET_Z85  CURVE server with this secret key\n"
          "  --curve-allow PUBLIC_Z85   server: accept only these client keys (repeatable;\n"
          "                        without it any client key is accepted)\n"
          "  --curve-client SERVER_PUBLIC_Z85 [--curve-secret SECRET_Z85]\n"
          "                        CURVE client of that server; without --curve-secret, with\n"
          "                        a fresh key pair\n"
          "  --rcvbuf BYTES        receive buffer per peer (default 64 KiB, with CURVE 1 MiB +\n"
          "                        4 KiB); a CURVE frame must fit it minus 40 bytes\n"
          "  --max-peers N         peers the socket must hold at once (this build: at most\n"
          "                        MZMTP_CONF_MAX_PEERS, see --version; exit 2 beyond it);\n"
          "                        raises the descriptor limit (RLIMIT_NOFILE) to match\n"
          "  --print-endpoint      print each bound endpoint to stderr as 'endpoint URL'\n"
          "  -v                    print connection events to stderr\n"
          "  --version, --help\n"
          "zmtpcat keygen prints a new CURVE key pair: the public key, then the secret key\n"
          "(Z85, one per line). Keys may begin with '-': give them as --opt=KEY.\n"
          "One stdin line is one message (pub xpub xsub push req dealer router pair); at\n"
          "stdin EOF a sender flushes and exits 0 (one that also receives first waits for -n N).\n"
          "exit status: 0 done, 1 runtime error (a client whose authentication failed too),\n"
          "2 usage error, 3 timeout\n",
          out);
}

static void die_usage(const char *fmt, const char *arg)
{
    fputs("zmtpcat: ", stderr);
    fprintf(stderr, fmt, arg);
    fputs("\ntry 'zmtpcat --help'\n", stderr);
    exit(EXIT_USAGE);
}

static void die_runtime(const char *what, const char *detail)
{
    fprintf(stderr, "zmtpcat: %s: %s\n", what, detail);
    exit(EXIT_RUNTIME);
}

static uint64_t parse_number(const char *opt, const char *s, uint64_t max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno != 0 || v > max) {
        die_usage("bad number for %s", opt);
    }
    return (uint64_t)v;
}

/* A CURVE key on the command line: 40 Z85 characters (RFC 32), nothing else. */
static void parse_key(const char *opt, const char *v, uint8_t *key)
{
    if (strlen(v) != MZMTP_Z85_KEY_LEN ||
        mzmtp_z85_decode(key, MZMTP_CURVE_KEY_LEN, v, MZMTP_Z85_KEY_LEN) != MZMTP_OK) {
        die_usage("%s wants a 40-character Z85 key (a key that begins with '-': --opt=KEY)", opt);
    }
}

/* zmtpcat keygen: a new long-term key pair, public then secret, one Z85 key per line.
 * Key pairs made here (this one, a client without --curve-secret) come from the kernel's
 * generator, as the POSIX port's sockets do: mzmtp_posix_random(). */
static void keygen(void)
{
#if MZMTP_CONF_CURVE
    uint8_t pub[MZMTP_CURVE_KEY_LEN], sec[MZMTP_CURVE_KEY_LEN];
    char zpub[MZMTP_Z85_KEY_LEN + 1], zsec[MZMTP_Z85_KEY_LEN + 1];
    if (mzmtp_curve_keypair(pub, sec, mzmtp_posix_random, NULL) != MZMTP_OK ||
        mzmtp_z85_encode(zpub, sizeof zpub, pub, sizeof pub) != MZMTP_OK ||
        mzmtp_z85_encode(zsec, sizeof zsec, sec, sizeof sec) != MZMTP_OK) {
        die_runtime("keygen", "no key pair (random source failed)");
    }
    printf("%s\n%s\n", zpub, zsec);
    mzmtp_secure_wipe(sec, sizeof sec);
    mzmtp_secure_wipe(zsec, sizeof zsec);
    if (fflush(stdout) != 0) die_runtime("stdout", strerror(errno));
    exit(0);
#else
    die_usage("%s: this zmtpcat is built without CURVE (MZMTP_CONF_CURVE=0)", "keygen");
#endif
}

/* --max-peers: every peer is a descriptor; raise the soft RLIMIT_NOFILE to @p want (the
 * hard limit too when the process may, as root can). A limit that stays lower only warns:
 * the listener then closes what it cannot hold (EMFILE, docs/ports.md). */
static void raise_fd_limit(unsigned long want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want) return;
    struct rlimit up = rl;
    up.rlim_cur = (rlim_t)want;
    if (up.rlim_max < up.rlim_cur) up.rlim_max = up.rlim_cur;
    if (setrlimit(RLIMIT_NOFILE, &up) == 0) return;
    up.rlim_cur = rl.rlim_max; /* not allowed to raise the hard limit: up to it */
    up.rlim_max = rl.rlim_max;
    (void)setrlimit(RLIMIT_NOFILE, &up);
    fprintf(stderr, "zmtpcat: warning: RLIMIT_NOFILE stays at %llu, below the %lu descriptors "
            "--max-peers needs\n", (unsigned long long)up.rlim_cur, want);
}

static void parse_args(int argc, char **argv, options_t *o)
{
    memset(o, 0, sizeof *o);
    o->delim = "\t";
    o->delim_len = 1;
    o->timeout_ms = -1;
    o->linger_ms = 2000;
    o->endpoints = calloc((size_t)argc, sizeof *o->endpoints);
    o->is_bind = calloc((size_t)argc, sizeof *o->is_bind);
    o->topics = calloc((size_t)argc, sizeof *o->topics);
    o->plain_allow = calloc((size_t)argc, sizeof *o->plain_allow);
    o->curve_allow = calloc((size_t)argc, sizeof *o->curve_allow);
    if (!o->endpoints || !o->is_bind || !o->topics || !o->plain_allow || !o->curve_allow) {
        die_runtime("memory", strerror(errno));
    }

    const char *type_arg = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(a, "--version") == 0) {
            printf("zmtpcat (microzmtp) %s, at most %u peers per socket\n", MZMTP_VERSION_STRING,
                   (unsigned)MZMTP_CONF_MAX_PEERS);
            exit(0);
        }
    }
    if (argc >= 2 && strcmp(argv[1], "keygen") == 0) {
        if (argc > 2) die_usage("keygen takes no argument ('%s')", argv[2]);
        keygen();
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            if (type_arg != NULL) die_usage("unexpected argument '%s'", a);
            type_arg = a;
            continue;
        }
        /* Flags without a value. */
        if (strcmp(a, "--hex") == 0) { o->hex = true; continue; }
        if (strcmp(a, "-v") == 0) { o->verbose = true; continue; }
        if (strcmp(a, "--print-endpoint") == 0) { o->print_endpoint = true; continue; }
        /* Everything else takes a value: the next argument, or after '=' ("--opt=VALUE",
         * for values that begin with '-'). */
        const char *v;
        char name[32];
        const char *eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
        if (eq != NULL && (size_t)(eq - a) < sizeof name) {
            memcpy(name, a, (size_t)(eq - a));
            name[eq - a] = '\0';
            a = name;
            v = eq + 1;
        } else {
            if (i + 1 >= argc) die_usage("%s needs a value", a);
            v = argv[++i];
        }
        if (strcmp(a, "-b") == 0 || strcmp(a, "-c") == 0) {
            o->is_bind[o->n_endpoints] = a[1] == 'b';
            o->endpoints[o->n_endpoints++] = v;
        } else if (strcmp(a, "-d") == 0) {
            if (v[0] == '\0' || strchr(v, '\n') != NULL) die_usage("bad delimiter for %s", a);
            o->delim = v;
            o->delim_len = strlen(v);
        } else if (strcmp(a, "-s") == 0) {
            o->topics[o->n_topics++] = v;
        } else if (strcmp(a, "-n") == 0) {
            o->count = (unsigned long)parse_number(a, v, ULONG_MAX);
        } else if (strcmp(a, "--timeout") == 0) {
            o->timeout_ms = (long)parse_number(a, v, INT_MAX);
        } else if (strcmp(a, "--linger") == 0) {
            o->linger_ms = (long)parse_number(a, v, INT_MAX);
        } else if (strcmp(a, "--wait-peers") == 0) {
            o->wait_peers = (unsigned long)parse_number(a, v, 1000000u);
        } else if (strcmp(a, "--reply") == 0) {
            o->reply = v;
        } else if (strcmp(a, "--sndhwm") == 0) {
            o->has_sndhwm = true;
            o->sndhwm = (uint32_t)parse_number(a, v, UINT32_MAX);
        } else if (strcmp(a, "--rcvhwm") == 0) {
            o->has_rcvhwm = true;
            o->rcvhwm = (uint32_t)parse_number(a, v, UINT32_MAX);
        } else if (strcmp(a, "--maxmsgsize") == 0) {
            o->has_maxmsgsize = true;
            o->maxmsgsize = parse_number(a, v, UINT64_MAX);
        } else if (strcmp(a, "--heartbeat") == 0) {
            o->hb_ivl = (uint32_t)parse_number(a, v, UINT32_MAX);
        } else if (strcmp(a, "--heartbeat-timeout") == 0) {
            o->hb_timeout = (uint32_t)parse_number(a, v, UINT32_MAX);
        } else if (strcmp(a, "--heartbeat-ttl") == 0) {
            o->hb_ttl = (uint32_t)parse_number(a, v, 65500u);
        } else if (strcmp(a, "--identity") == 0) {
            o->identity = v;
        } else if (strcmp(a, "--plain-user") == 0) {
            o->plain_user = v;
        } else if (strcmp(a, "--plain-pass") == 0) {
            o->plain_pass = v;
        } else if (strcmp(a, "--plain-server") == 0) {
            if (strchr(v, ':') == NULL) die_usage("%s wants USER:PASSWORD", a);
            o->plain_allow[o->n_plain_allow++] = v;
        } else if (strcmp(a, "--curve-server") == 0) {
            parse_key(a, v, o->curve_key);
            o->curve_server = true;
        } else if (strcmp(a, "--curve-client") == 0) {
            parse_key(a, v, o->curve_key);
            o->curve_client = true;
        } else if (strcmp(a, "--curve-secret") == 0) {
            parse_key(a, v, o->curve_secret);
            o->has_curve_secret = true;
        } else if (strcmp(a, "--curve-allow") == 0) {
            parse_key(a, v, o->curve_allow[o->n_curve_allow++]);
        } else if (strcmp(a, "--rcvbuf") == 0) {
            o->rcvbuf = (size_t)parse_number(a, v, UINT32_MAX);
            if (o->rcvbuf < MZMTP_RECV_MIN) die_usage("%s is below the smallest receive buffer", a);
        } else if (strcmp(a, "--max-peers") == 0) {
            o->max_peers = (unsigned long)parse_number(a, v, 65535u);
        } else {
            die_usage("unknown option '%s'", a);
        }
    }

    if (type_arg == NULL) die_usage("%s", "missing socket TYPE");
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        if (strcmp(types[t].name, type_arg) == 0) {
            o->type = types[t].type;
            o->type_name = types[t].name;
            o->roles = types[t].roles;
        }
    }
    if (o->type_name == NULL) die_usage("unknown socket type '%s'", type_arg);
    if (o->n_endpoints == 0) die_usage("%s", "need at least one -b or -c ENDPOINT");
    if (o->n_topics > 0 && o->type != MZMTP_SUB && o->type != MZMTP_XSUB) {
        die_usage("-s applies to sub and xsub, not %s", o->type_name);
    }
    if (o->reply != NULL && o->type != MZMTP_REP) die_usage("--reply applies to rep, not %s", o->type_name);
    if (o->count > 0 && !(o->roles & ROLE_RECV)) die_usage("-n applies to receivers, not %s", o->type_name);
    if ((o->plain_user == NULL) != (o->plain_pass == NULL)) {
        die_usage("%s", "--plain-user and --plain-pass go together");
    }
    if (o->plain_user != NULL && o->n_plain_allow > 0) {
        die_usage("%s", "a socket is a PLAIN client (--plain-user) or server (--plain-server), not both");
    }
    bool curve = o->curve_server || o->curve_client;
    if (o->curve_server && o->curve_client) {
        die_usage("%s", "a socket is a CURVE client (--curve-client) or server (--curve-server), not both");
    }
    if (curve && (o->plain_user != NULL || o->n_plain_allow > 0)) {
        die_usage("%s", "one mechanism per socket: PLAIN or CURVE, not both");
    }
    if (o->n_curve_allow > 0 && !o->curve_server) die_usage("%s", "--curve-allow needs --curve-server");
    if (o->has_curve_secret && !o->curve_client) die_usage("%s", "--curve-secret needs --curve-client");
#if !MZMTP_CONF_CURVE
    if (curve || o->n_curve_allow > 0 || o->has_curve_secret) {
        die_usage("%s: this zmtpcat is built without CURVE (MZMTP_CONF_CURVE=0)", "--curve-*");
    }
#endif
    if (o->rcvbuf == 0) o->rcvbuf = curve ? RECV_PEER_BYTES_CURVE : RECV_PEER_BYTES;
    /* Peer slots are a compile-time pool today (MZMTP_CONF_MAX_PEERS): a run that needs
     * more than this build holds says so at once rather than refusing peers later. */
    if (o->max_peers > MZMTP_CONF_MAX_PEERS) {
        fprintf(stderr, "zmtpcat: --max-peers %lu: this zmtpcat holds at most %u peers per socket "
                "(MZMTP_CONF_MAX_PEERS; zmtpcat_scale, cmake/scale_profile.cmake, holds more)\n",
                o->max_peers, (unsigned)MZMTP_CONF_MAX_PEERS);
        exit(EXIT_USAGE);
    }
    if (o->max_peers > 0) raise_fd_limit(o->max_peers + 64u);
}

/* ----------------------------------- messages ------------------------------------------ */

/* A message as frames over one byte buffer. */
typedef struct message {
    uint8_t *data;
    size_t len, cap;
    size_t *ends; /* ends[i]: offset one past frame i */
    size_t frames, frames_cap;
} message_t;

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return p;
    size_t c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(p, c * elem);
    if (q == NULL) die_runtime("memory", strerror(errno));
    *cap = c;
    return q;
}

static void msg_append(message_t *m, const void *bytes, size_t len)
{
    m->data = grow(m->data, &m->cap, m->len + len + 1, 1);
    if (len) memcpy(m->data + m->len, bytes, len);
    m->len += len;
}

static void msg_end_frame(message_t *m)
{
    m->ends = grow(m->ends, &m->frames_cap, m->frames + 1, sizeof *m->ends);
    m->ends[m->frames++] = m->len;
}

static void msg_clear(message_t *m) { m->len = m->frames = 0; }

static size_t frame_start(const message_t *m, size_t i) { return i ? m->ends[i - 1] : 0; }

static int hex_val(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Parse one input line into @p m: split on the delimiter, hex-decode if asked.
 * @return false on bad hex. */
static bool msg_from_line(const options_t *o, message_t *m, const char *line, size_t len)
{
    msg_clear(m);
    size_t pos = 0;
    for (size_t frame = 0;; frame++) {
        const char *start = line + pos;
        size_t flen = len - pos;
        for (size_t k = pos; k + o->delim_len <= len; k++) {
            if (memcmp(line + k, o->delim, o->delim_len) == 0) {
                flen = k - pos;
                break;
            }
        }
        bool as_hex = o->hex || (o->type == MZMTP_ROUTER && frame == 0);
        if (as_hex) {
            if (flen % 2 != 0) return false;
            m->data = grow(m->data, &m->cap, m->len + flen / 2 + 1, 1);
            for (size_t k = 0; k < flen; k += 2) {
                int hi = hex_val((unsigned char)start[k]), lo = hex_val((unsigned char)start[k + 1]);
                if (hi < 0 || lo < 0) return false;
                m->data[m->len++] = (uint8_t)(hi * 16 + lo);
            }
        } else {
            msg_append(m, start, flen);
        }
        msg_end_frame(m);
        pos += flen;
        if (pos >= len) break;
        pos += o->delim_len; /* a trailing delimiter makes a last, empty frame */
        if (pos == len) {
            msg_end_frame(m);
            break;
        }
    }
    return true;
}

static void print_message(const options_t *o, const message_t *m)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < m->frames; i++) {
        if (i > 0) fwrite(o->delim, 1, o->delim_len, stdout);
        const uint8_t *p = m->data + frame_start(m, i);
        size_t n = m->ends[i] - frame_start(m, i);
        if (o->hex || (o->type == MZMTP_ROUTER && i == 0)) {
            for (size_t k = 0; k < n; k++) {
                putchar(digits[p[k] >> 4]);
                putchar(digits[p[k] & 15]);
            }
        } else {
            fwrite(p, 1, n, stdout);
        }
    }
    putchar('\n');
    if (fflush(stdout) != 0) die_runtime("stdout", strerror(errno));
}

/* ------------------------------------ the loop ----------------------------------------- */

/* A client's handshake failed for @p status: does that mean we were refused? PLAIN: the
 * server's ERROR (MZMTP_ERR_AUTH). CURVE: that, a box that did not open (the server does
 * not hold the secret of the key we were given), a mechanism mismatch, or a close in the
 * middle of the handshake: a libzmq server that cannot open our HELLO (we hold the wrong
 * server key) closes without ERROR (wire-notes C17). */
static bool client_refused(const options_t *o, mzmtp_status_t status)
{
    if (o->plain_user != NULL) return status == MZMTP_ERR_AUTH;
    if (!o->curve_client) return false;
    return status == MZMTP_ERR_AUTH || status == MZMTP_ERR_CRYPTO ||
           status == MZMTP_ERR_MECHANISM || status == MZMTP_ERR_PEER_ERROR ||
           status == MZMTP_ERR_CLOSED;
}

static void on_event(void *ctx, mzmtp_socket_t *sock, mzmtp_socket_event_t ev, int peer,
                     mzmtp_status_t status)
{
    const options_t *o = ctx;
    (void)sock;
    if (ev == MZMTP_EV_HANDSHAKE_FAILED && client_refused(o, status)) {
        /* Our credentials were refused: nothing was or will be delivered; say it once. */
        fprintf(stderr, "zmtpcat: authentication failed (%s)\n", mzmtp_status_str(status));
        exit(EXIT_RUNTIME);
    }
    if (!o->verbose) return;
    fprintf(stderr, "zmtpcat: %s", mzmtp_socket_event_str(ev));
    if (peer >= 0) fprintf(stderr, " peer %d", peer);
    if (status != MZMTP_OK) fprintf(stderr, " (%s)", mzmtp_status_str(status));
    fputc('\n', stderr);
    fflush(stderr);
}

/* --plain-server: allow exactly the USER:PASSWORD pairs given; the User-Id is the user. */
static void plain_auth(void *ctx, const mzmtp_auth_request_t *req, mzmtp_auth_reply_t *reply)
{
    const options_t *o = ctx;
    reply->status = 400;
    for (size_t i = 0; i < o->n_plain_allow; i++) {
        const char *pair = o->plain_allow[i];
        size_t ulen = (size_t)(strchr(pair, ':') - pair);
        const char *pass = pair + ulen + 1;
        size_t plen = strlen(pass);
        if (req->username_len == ulen && memcmp(req->username, pair, ulen) == 0 &&
            req->password_len == plen && mzmtp_secure_equal(req->password, pass, plen)) {
            reply->status = 200;
            reply->user_id_len = ulen < sizeof reply->user_id ? ulen : sizeof reply->user_id;
            memcpy(reply->user_id, pair, reply->user_id_len);
            return;
        }
    }
}

#if MZMTP_CONF_CURVE
/* --curve-allow: accept exactly the client keys given; the User-Id is the key in Z85. */
static void curve_auth(void *ctx, const mzmtp_auth_request_t *req, mzmtp_auth_reply_t *reply)
{
    const options_t *o = ctx;
    reply->status = 400;
    if (req->client_key == NULL) return;
    for (size_t i = 0; i < o->n_curve_allow; i++) {
        if (mzmtp_secure_equal(req->client_key, o->curve_allow[i], MZMTP_CURVE_KEY_LEN)) {
            char z[MZMTP_Z85_KEY_LEN + 1];
            if (mzmtp_z85_encode(z, sizeof z, req->client_key, MZMTP_CURVE_KEY_LEN) != MZMTP_OK) return;
            reply->status = 200;
            memcpy(reply->user_id, z, MZMTP_Z85_KEY_LEN);
            reply->user_id_len = MZMTP_Z85_KEY_LEN;
            return;
        }
    }
}

static void set_key(mzmtp_option_t opt, const uint8_t *key, const char *name)
{
    if (mzmtp_socket_setopt(&cat_sock, opt, key, MZMTP_CURVE_KEY_LEN) != MZMTP_OK) {
        die_usage("bad key for %s", name);
    }
}
#endif

static void set_u32(mzmtp_option_t opt, uint32_t v, const char *name)
{
    if (mzmtp_socket_setopt(&cat_sock, opt, &v, sizeof v) != MZMTP_OK) {
        die_usage("bad value for %s", name);
    }
}

static void setup_socket(options_t *o)
{
    if (o->rcvbuf > SIZE_MAX / MZMTP_CONF_MAX_PEERS) die_usage("%s is too large", "--rcvbuf");
    cat_mem.send_buf = malloc(SEND_RING_BYTES);
    cat_mem.send_size = SEND_RING_BYTES;
    cat_mem.recv_buf = calloc(MZMTP_CONF_MAX_PEERS, o->rcvbuf);
    cat_mem.recv_per_peer = o->rcvbuf;
    /* Peer slots: calloc'd, so that the pages of slots never used are never touched. */
    cat_mem.max_peers = MZMTP_CONF_MAX_PEERS;
    cat_mem.peers = calloc(MZMTP_CONF_MAX_PEERS, sizeof(mzmtp_peer_t));
    /* The per-peer state this socket needs, no more: its command buffer (with room for
     * its READY, SUBSCRIBEs or PLAIN HELLO), a ROUTER's ids, a server's User-Ids. */
    size_t id_len = o->identity != NULL ? strlen(o->identity) : 0;
    size_t cred = o->plain_user != NULL ? strlen(o->plain_user) + strlen(o->plain_pass) : 0;
    mzmtp_mechanism_t mech = o->curve_server || o->curve_client ? MZMTP_MECH_CURVE
                             : cred > 0 || o->n_plain_allow > 0 ? MZMTP_MECH_PLAIN
                                                                 : MZMTP_MECH_NULL;
    cat_mem.peer_buf_bytes = mzmtp_socket_peer_buf_bytes(o->type, id_len, cred, mech,
                                                         o->n_plain_allow > 0 || o->curve_server);
    cat_mem.peer_buf = calloc(MZMTP_CONF_MAX_PEERS, cat_mem.peer_buf_bytes);
    if (cat_mem.send_buf == NULL || cat_mem.recv_buf == NULL || cat_mem.peers == NULL ||
        cat_mem.peer_buf == NULL) {
        die_runtime("memory", strerror(errno));
    }
    mzmtp_status_t st = mzmtp_socket_init(&cat_sock, o->type, &cat_mem);
    if (st == MZMTP_ERR_NOT_SUPPORTED) {
        die_usage("socket type '%s' is not supported by this release of microzmtp", o->type_name);
    }
    if (st != MZMTP_OK) die_runtime("socket", mzmtp_status_str(st));
    mzmtp_socket_set_monitor(&cat_sock, on_event, (void *)o);
    if (o->plain_user != NULL) {
        if (mzmtp_socket_setopt(&cat_sock, MZMTP_OPT_PLAIN_USERNAME, o->plain_user,
                                strlen(o->plain_user)) != MZMTP_OK ||
            mzmtp_socket_setopt(&cat_sock, MZMTP_OPT_PLAIN_PASSWORD, o->plain_pass,
                                strlen(o->plain_pass)) != MZMTP_OK) {
            die_usage("%s", "bad --plain-user or --plain-pass (at most MZMTP_CONF_PLAIN_CRED_MAX bytes)");
        }
    }
    if (o->n_plain_allow > 0) {
        set_u32(MZMTP_OPT_PLAIN_SERVER, 1, "--plain-server");
        mzmtp_socket_set_auth(&cat_sock, plain_auth, (void *)o);
    }
#if MZMTP_CONF_CURVE
    if (o->curve_server) {
        set_u32(MZMTP_OPT_CURVE_SERVER, 1, "--curve-server");
        set_key(MZMTP_OPT_CURVE_SECRETKEY, o->curve_key, "--curve-server");
        /* Without --curve-allow any client key is accepted, as libzmq without ZAP. */
        if (o->n_curve_allow > 0) mzmtp_socket_set_auth(&cat_sock, curve_auth, (void *)o);
    }
    if (o->curve_client) {
        if (!o->has_curve_secret) { /* a fresh key pair: the server must accept any key */
            uint8_t pub[MZMTP_CURVE_KEY_LEN];
            if (mzmtp_curve_keypair(pub, o->curve_secret, mzmtp_posix_random, NULL) != MZMTP_OK) {
                die_runtime("--curve-client", "no key pair (random source failed)");
            }
        }
        set_key(MZMTP_OPT_CURVE_SERVERKEY, o->curve_key, "--curve-client");
        set_key(MZMTP_OPT_CURVE_SECRETKEY, o->curve_secret, "--curve-secret");
    }
    /* The socket holds its own copies now (wiped when it closes). */
    mzmtp_secure_wipe(o->curve_secret, sizeof o->curve_secret);
    if (o->curve_server) mzmtp_secure_wipe(o->curve_key, sizeof o->curve_key);
#endif
    if (o->has_sndhwm) set_u32(MZMTP_OPT_SNDHWM, o->sndhwm, "--sndhwm");
    if (o->has_rcvhwm) set_u32(MZMTP_OPT_RCVHWM, o->rcvhwm, "--rcvhwm");
    if (o->hb_ivl) set_u32(MZMTP_OPT_HEARTBEAT_IVL, o->hb_ivl, "--heartbeat");
    if (o->hb_timeout) set_u32(MZMTP_OPT_HEARTBEAT_TIMEOUT, o->hb_timeout, "--heartbeat-timeout");
    if (o->hb_ttl) set_u32(MZMTP_OPT_HEARTBEAT_TTL, o->hb_ttl, "--heartbeat-ttl");
    if (o->has_maxmsgsize &&
        mzmtp_socket_setopt(&cat_sock, MZMTP_OPT_MAXMSGSIZE, &o->maxmsgsize, sizeof o->maxmsgsize) !=
            MZMTP_OK) {
        die_usage("bad value for %s", "--maxmsgsize");
    }
    if (o->identity != NULL &&
        mzmtp_socket_setopt(&cat_sock, MZMTP_OPT_ROUTING_ID, o->identity, strlen(o->identity)) !=
            MZMTP_OK) {
        die_usage("bad value for %s (1..255 bytes, not starting with NUL)", "--identity");
    }
    if (o->type == MZMTP_ROUTER) { /* generated ids start at a random value, as libzmq's */
        uint32_t seed = mzmtp_posix_now_ms() ^ ((uint32_t)getpid() << 12);
        if (mzmtp_socket_setopt(&cat_sock, MZMTP_OPT_ROUTER_ID_SEED, &seed, sizeof seed) != MZMTP_OK) {
            die_runtime("socket", "cannot seed routing ids");
        }
    }
    if (o->type == MZMTP_SUB || o->type == MZMTP_XSUB) {
        for (size_t i = 0; i < o->n_topics; i++) {
            st = mzmtp_socket_subscribe(&cat_sock, o->topics[i], strlen(o->topics[i]));
            if (st != MZMTP_OK) die_runtime("subscribe", mzmtp_status_str(st));
        }
        if (o->n_topics == 0 && o->type == MZMTP_SUB) {
            st = mzmtp_socket_subscribe(&cat_sock, "", 0);
            if (st != MZMTP_OK) die_runtime("subscribe", mzmtp_status_str(st));
        }
    }

    mzmtp_posix_init(&cat_io);
    for (size_t i = 0; i < o->n_endpoints; i++) {
        char actual[MZMTP_POSIX_ENDPOINT_LEN];
        char what[MZMTP_POSIX_ENDPOINT_LEN + 16];
        snprintf(what, sizeof what, "%s %s", o->is_bind[i] ? "bind" : "connect", o->endpoints[i]);
        if (o->is_bind[i]) {
            errno = 0;
            st = mzmtp_posix_bind(&cat_io, &cat_sock, o->endpoints[i], actual, sizeof actual);
            if (st == MZMTP_ERR_INVALID) die_usage("bad endpoint '%s'", o->endpoints[i]);
            if (st != MZMTP_OK) {
                die_runtime(what, st == MZMTP_ERR_CLOSED && errno ? strerror(errno) : mzmtp_status_str(st));
            }
            if (o->print_endpoint) {
                fprintf(stderr, "endpoint %s\n", actual);
                fflush(stderr);
            }
        } else {
            st = mzmtp_posix_connect(&cat_io, &cat_sock, o->endpoints[i]);
            if (st == MZMTP_ERR_INVALID) die_usage("bad endpoint '%s'", o->endpoints[i]);
            if (st != MZMTP_OK) die_runtime(what, mzmtp_status_str(st));
        }
    }
}

/* Send the frames of @p m from frame *next on. @return MZMTP_OK when all went out. */
static mzmtp_status_t send_message(const message_t *m, size_t *next)
{
    while (*next < m->frames) {
        size_t i = *next;
        mzmtp_status_t st = mzmtp_socket_send(&cat_sock, m->data + frame_start(m, i),
                                              m->ends[i] - frame_start(m, i), i + 1 < m->frames);
        if (st != MZMTP_OK) return st;
        (*next)++;
    }
    return MZMTP_OK;
}

/* PUB/XPUB drop a message for a peer at its HWM, or shed the oldest queues when the ring
 * is full (ZeroMQ semantics), but a tool fed from a file must not lose lines for a
 * subscriber that reads: a message waits while a peer that is moving would lose it. A
 * peer whose queue has not shrunk for PUB_STALL_MS is stalled, and misses what its HWM
 * cannot hold, as with any ZeroMQ publisher; the others never wait for it. */
typedef struct pub_gate {
    uint32_t queued[MZMTP_CONF_MAX_PEERS]; /* last seen queue of each peer */
    uint32_t moved[MZMTP_CONF_MAX_PEERS];  /* when it last shrank (or the peer came) */
    bool seen[MZMTP_CONF_MAX_PEERS];
} pub_gate_t;

/* @return true when a message of @p len encoded bytes may go now; else *wait_ms is how
 * long until a peer that holds it back would count as stalled. */
static bool pub_gate_open(pub_gate_t *g, uint32_t hwm, size_t len, uint32_t now, uint32_t *wait_ms)
{
    bool ring_ok = mzmtp_socket_send_room(&cat_sock) >= len;
    bool open = true;
    *wait_ms = PUB_STALL_MS;
    for (int p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        if (!mzmtp_socket_peer_live(&cat_sock, p)) {
            g->seen[p] = false;
            continue;
        }
        uint32_t q = mzmtp_socket_peer_queued(&cat_sock, p);
        if (!g->seen[p] || q < g->queued[p]) g->moved[p] = now;
        g->seen[p] = true;
        g->queued[p] = q;
        uint32_t idle = now - g->moved[p];
        if (idle >= PUB_STALL_MS) continue; /* stalled: it does not hold the others back */
        if ((hwm != 0 && q >= hwm) || (!ring_ok && q > 0)) {
            open = false;
            if (PUB_STALL_MS - idle < *wait_ms) *wait_ms = PUB_STALL_MS - idle;
        }
    }
    return open;
}

static void finish(const options_t *o, int code)
{
    int32_t linger = (o->roles & ROLE_SEND) ? (int32_t)o->linger_ms : 0;
    /* Flush with the socket still open, then close. mzmtp_socket_close() wipes the
     * socket's long-term secrets at once, and a handshake still under way needs them (a
     * CURVE client's INITIATE vouch, a server's cookie key): closing first would fail the
     * connection that carries what is left to send. */
    uint32_t start = mzmtp_posix_now_ms();
    while (linger > 0 && !mzmtp_socket_flushed(&cat_sock) && cat_signal == 0) {
        uint32_t spent = mzmtp_posix_now_ms() - start;
        if (spent >= (uint32_t)linger) break;
        (void)mzmtp_posix_run(&cat_io, (int)((uint32_t)linger - spent));
    }
    int32_t left = linger - (int32_t)(mzmtp_posix_now_ms() - start);
    (void)mzmtp_posix_close(&cat_io, &cat_sock, linger > 0 && left < 1 ? 1 : (linger > 0 ? left : 0));
    exit(code);
}

int main(int argc, char **argv)
{
    options_t o;
    parse_args(argc, argv, &o);
    setup_socket(&o);

    /* A signal interrupts poll() (no SA_RESTART), so the loop can close cleanly: peers see
     * a FIN rather than a reset, and a bound ipc:// file is removed. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    (void)sigaction(SIGINT, &sa, NULL);
    (void)sigaction(SIGTERM, &sa, NULL);

    bool stdin_open = (o.roles & ROLE_STDIN) != 0;
    char *in = NULL; /* stdin bytes; in[in_off..in_off+in_len) are not yet sent */
    size_t in_off = 0, in_len = 0, in_cap = 0, line_no = 0;
    message_t out = {0}, rx = {0};
    bool out_pending = false; /* out holds a message not yet fully sent */
    size_t out_next = 0;
    bool req_waiting = false; /* REQ: a request is out, its reply not in */
    unsigned long received = 0;
    uint32_t last_rx = mzmtp_posix_now_ms();
    size_t rx_chunk = o.rcvbuf;
    bool pub_like = o.type == MZMTP_PUB || o.type == MZMTP_XPUB;
    uint32_t hwm = o.has_sndhwm ? o.sndhwm : MZMTP_CONF_SNDHWM;
    static pub_gate_t gate;
    bool peers_ok = false;
    int gate_wait = -1; /* PUB: ms until a peer holding the next message back is stalled */

    for (;;) {
        /* Take every message that has arrived. */
        /* REQ reads only while a request is out; REP only once its reply went. */
        while (!(o.type == MZMTP_REP && out_pending) && !(o.type == MZMTP_REQ && !req_waiting)) {
            rx.data = grow(rx.data, &rx.cap, rx.len + rx_chunk + 1, 1);
            size_t n = 0;
            unsigned flags = 0;
            mzmtp_status_t st = mzmtp_socket_recv(&cat_sock, rx.data + rx.len, rx.cap - rx.len, &n, &flags);
            if (st == MZMTP_AGAIN || st == MZMTP_ERR_NOT_SUPPORTED) break;
            if (st == MZMTP_ERR_TRUNCATED) { /* its peer left mid-message: nothing to print */
                msg_clear(&rx);
                continue;
            }
            if (st != MZMTP_OK) die_runtime("recv", mzmtp_status_str(st));
            rx.len += n;
            if (flags & MZMTP_RECV_PARTIAL) continue;
            msg_end_frame(&rx);
            if (flags & MZMTP_RECV_MORE) continue;
            print_message(&o, &rx);
            received++;
            last_rx = mzmtp_posix_now_ms();
            if (o.type == MZMTP_REQ) req_waiting = false;
            if (o.type == MZMTP_REP) { /* answer at once: echo, or --reply */
                if (o.reply != NULL) {
                    msg_clear(&out);
                    msg_append(&out, o.reply, strlen(o.reply));
                    msg_end_frame(&out);
                } else {
                    message_t t = out;
                    out = rx;
                    rx = t;
                }
                out_pending = true;
                out_next = 0;
            }
            msg_clear(&rx);
            /* -n N: done. A type that also sends from stdin first sends the lines it
             * has already read (pair, dealer, router, xpub, xsub). */
            if (o.count > 0 && received >= o.count && !out_pending &&
                (o.type == MZMTP_REQ || !(o.roles & ROLE_STDIN))) {
                finish(&o, 0);
            }
        }

        /* Send what is pending, then the next complete stdin lines. */
        /* --wait-peers gates the first send only; peers that leave later just miss data. */
        peers_ok = peers_ok || o.wait_peers == 0 ||
                   (mzmtp_socket_peer_count(&cat_sock) >= o.wait_peers &&
                    (!pub_like || mzmtp_socket_sub_peer_count(&cat_sock) >= o.wait_peers));
        for (;;) {
            if (!out_pending && peers_ok && !req_waiting && in_len > 0) {
                char *line = in + in_off;
                char *nl = memchr(line, '\n', in_len);
                if (nl == NULL && stdin_open) break; /* the line is not complete yet */
                size_t line_len = nl ? (size_t)(nl - line) : in_len;
                line_no++;
                if (!msg_from_line(&o, &out, line, line_len)) {
                    char where[32];
                    snprintf(where, sizeof where, "stdin line %zu", line_no);
                    die_runtime(where, "bad hex");
                }
                size_t used = nl ? line_len + 1 : line_len;
                in_off = in_len == used ? 0 : in_off + used;
                in_len -= used;
                out_pending = true;
                out_next = 0;
            }
            if (!out_pending) break;
            gate_wait = -1;
            if (pub_like && out_next == 0) {
                uint32_t wait_ms = 0;
                if (!pub_gate_open(&gate, hwm, out.len + 9u * out.frames, mzmtp_posix_now_ms(),
                                   &wait_ms)) {
                    gate_wait = (int)wait_ms;
                    break;
                }
            }
            mzmtp_status_t st = send_message(&out, &out_next);
            if (st == MZMTP_AGAIN) break; /* keep it; retry after the loop made room */
            if (st != MZMTP_OK) die_runtime("send", mzmtp_status_str(st));
            out_pending = false;
            if (o.type == MZMTP_REQ) req_waiting = true;
            if (o.type == MZMTP_REP && o.count > 0 && received >= o.count) finish(&o, 0);
        }

        if (o.count > 0 && received >= o.count && !out_pending && !req_waiting &&
            (in_len == 0 || (stdin_open && memchr(in + in_off, '\n', in_len) == NULL))) {
            finish(&o, 0); /* counted, and every complete stdin line already sent */
        }

        /* Done? A sender at stdin EOF with nothing left; a receiver at its count. */
        if ((o.roles & ROLE_STDIN) && !stdin_open && in_len == 0 && !out_pending && !req_waiting &&
            !(o.count > 0 && received < o.count)) {
            finish(&o, 0);
        }

        int timeout = -1;
        uint32_t now = mzmtp_posix_now_ms();
        bool timed = o.timeout_ms >= 0 && ((o.roles & ROLE_RECV) || !peers_ok);
        if (timed) {
            uint32_t idle = now - last_rx;
            if (idle >= (uint32_t)o.timeout_ms) {
                fprintf(stderr, "zmtpcat: timeout: nothing %s for %ld ms\n",
                        (o.roles & ROLE_RECV) ? "received" : "to send to", o.timeout_ms);
                finish(&o, EXIT_TIMEOUT);
            }
            timeout = (int)((uint32_t)o.timeout_ms - idle);
        }

        if (gate_wait >= 0 && (timeout < 0 || gate_wait < timeout)) timeout = gate_wait;

        struct pollfd fds[MZMTP_POSIX_MAX_FDS + 1];
        size_t n = mzmtp_posix_fds(&cat_io, fds, MZMTP_POSIX_MAX_FDS, &timeout);
        size_t stdin_at = SIZE_MAX;
        bool line_ready = in_len > 0 && memchr(in + in_off, '\n', in_len) != NULL;
        if (stdin_open && !line_ready && !out_pending) {
            stdin_at = n;
            fds[n].fd = STDIN_FILENO;
            fds[n].events = POLLIN;
            fds[n].revents = 0;
            n++;
        }
        if (cat_signal == 0 && poll(fds, (nfds_t)n, timeout) < 0) {
            if (errno != EINTR) die_runtime("poll", strerror(errno));
            n = 0;
        }
        if (cat_signal != 0) {
            (void)mzmtp_posix_close(&cat_io, &cat_sock, 0);
            exit(128 + (int)cat_signal);
        }
        mzmtp_posix_handle(&cat_io, fds, n);
        if (stdin_at < n && fds[stdin_at].revents != 0) {
            if (in_off > 0) { /* only a partial line is left: move it to the front */
                memmove(in, in + in_off, in_len);
                in_off = 0;
            }
            in = grow(in, &in_cap, in_len + 65536, 1);
            ssize_t r = read(STDIN_FILENO, in + in_len, in_cap - in_len);
            if (r > 0) {
                in_len += (size_t)r;
            } else if (r == 0 || (errno != EINTR && errno != EAGAIN)) {
                stdin_open = false;
            }
        }
    }
}

/* Shared helpers for the unit tests; see testutil.h. */
#include "testutil.h"

#include <stdio.h>

/* ------------------------------------------------------------------------------------ */
/* Assertions                                                                             */
/* ------------------------------------------------------------------------------------ */

static void print_hex(const char *label, const uint8_t *p, size_t n)
{
    char line[16 * 3 + 1];
    print_error("%s (%zu bytes):\n", label, n);
    for (size_t i = 0; i < n; i += 16) {
        size_t k = 0;
        for (size_t j = i; j < n && j < i + 16; j++) k += (size_t)snprintf(line + k, sizeof line - k, "%02X ", p[j]);
        line[k] = 0;
        print_error("  %04zx: %s\n", i, line);
        if (i >= 512) {
            print_error("  ...\n");
            break;
        }
    }
}

void tu_assert_bytes_(const uint8_t *got, size_t got_len, const uint8_t *exp, size_t exp_len,
                      const char *file, int line)
{
    if (got_len == exp_len && (exp_len == 0 || memcmp(got, exp, exp_len) == 0)) return;
    size_t i = 0;
    while (i < got_len && i < exp_len && got[i] == exp[i]) i++;
    print_error("bytes differ (first difference at offset %zu)\n", i);
    print_hex("expected", exp, exp_len);
    print_hex("got", got, got_len);
    _fail(file, line);
}

void tu_assert_hex_(const uint8_t *got, size_t got_len, const char *exp_script,
                    const char *file, int line)
{
    static uint8_t exp[4096];
    size_t n = tu_script(exp_script, exp, sizeof exp);
    tu_assert_bytes_(got, got_len, exp, n, file, line);
}

void tu_assert_status_(int got, int exp, const char *got_expr, const char *file, int line)
{
    if (got == exp) return;
    print_error("%s is %s (%d), expected %s (%d)\n", got_expr,
                   mzmtp_status_str((mzmtp_status_t)got), got,
                   mzmtp_status_str((mzmtp_status_t)exp), exp);
    _fail(file, line);
}

/* ------------------------------------------------------------------------------------ */
/* Byte scripts                                                                           */
/* ------------------------------------------------------------------------------------ */

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

size_t tu_script(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (*s) {
        if (*s == ' ' || *s == '\n' || *s == '\t' || *s == '|' || *s == ',') {
            s++;
            continue;
        }
        if (*s == '\'') {
            s++;
            while (*s && *s != '\'') {
                if (n >= cap) fail_msg("script too long for %zu bytes", cap);
                out[n++] = (uint8_t)*s++;
            }
            if (*s != '\'') fail_msg("unterminated quote in script");
            s++;
            continue;
        }
        int hi = hexval(s[0]);
        int lo = hi < 0 ? -1 : hexval(s[1]);
        if (hi < 0 || lo < 0) fail_msg("bad script at \"%.10s\"", s);
        s += 2;
        size_t rep = 1;
        if (*s == '*') { /* "00*16": the byte 16 times */
            s++;
            rep = 0;
            while (*s >= '0' && *s <= '9') rep = rep * 10 + (size_t)(*s++ - '0');
        }
        if (rep > cap - n) fail_msg("script too long for %zu bytes", cap);
        memset(out + n, hi * 16 + lo, rep);
        n += rep;
    }
    return n;
}

void tu_put(tu_buf_t *b, const void *data, size_t len)
{
    if (len > b->cap - b->len) fail_msg("tu_buf overflow (%zu + %zu > %zu)", b->len, len, b->cap);
    if (len) memcpy(b->p + b->len, data, len);
    b->len += len;
}

void tu_put_u8(tu_buf_t *b, uint8_t v) { tu_put(b, &v, 1); }

void tu_put_str(tu_buf_t *b, const char *s) { tu_put(b, s, strlen(s)); }

void tu_put_hex(tu_buf_t *b, const char *script)
{
    b->len += tu_script(script, b->p + b->len, b->cap - b->len);
}

void tu_put_u64be(tu_buf_t *b, uint64_t v)
{
    for (int i = 7; i >= 0; i--) tu_put_u8(b, (uint8_t)(v >> (8 * i)));
}

void tu_put_greeting(tu_buf_t *b, uint8_t major, uint8_t minor, const char *mechanism)
{
    uint8_t g[64] = {0};
    g[0] = 0xFF;
    g[8] = 0x01; /* libzmq: routing-id length + 1 (wire-notes G2) */
    g[9] = 0x7F;
    g[10] = major;
    g[11] = minor;
    size_t ml = strlen(mechanism);
    if (ml > 20) ml = 20;
    memcpy(g + 12, mechanism, ml);
    tu_put(b, g, sizeof g);
}

void tu_put_frame(tu_buf_t *b, uint8_t flags, const void *body, size_t len)
{
    if (len > 255) {
        tu_put_long_frame(b, flags, body, len);
        return;
    }
    tu_put_u8(b, flags);
    tu_put_u8(b, (uint8_t)len);
    tu_put(b, body, len);
}

void tu_put_long_frame(tu_buf_t *b, uint8_t flags, const void *body, size_t len)
{
    tu_put_u8(b, (uint8_t)(flags | MZMTP_FLAG_LONG));
    tu_put_u64be(b, len);
    tu_put(b, body, len);
}

void tu_put_command(tu_buf_t *b, const char *name, const void *data, size_t len)
{
    uint8_t body[1024];
    size_t nl = strlen(name);
    if (1 + nl + len > sizeof body) fail_msg("command too long");
    body[0] = (uint8_t)nl;
    memcpy(body + 1, name, nl);
    if (len) memcpy(body + 1 + nl, data, len);
    tu_put_frame(b, MZMTP_FLAG_COMMAND, body, 1 + nl + len);
}

void tu_put_property(tu_buf_t *b, const char *name, const void *value, size_t len)
{
    tu_put_u8(b, (uint8_t)strlen(name));
    tu_put_str(b, name);
    uint8_t l[4] = {(uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len};
    tu_put(b, l, 4);
    tu_put(b, value, len);
}

void tu_put_ready(tu_buf_t *b, const char *type)
{
    uint8_t props[300];
    tu_buf_t p = TU_BUF(props);
    if (type) tu_put_property(&p, "Socket-Type", type, strlen(type));
    tu_put_command(b, "READY", props, p.len);
}

void tu_put_ready_identity(tu_buf_t *b, const char *type, const void *id, size_t len)
{
    uint8_t props[600];
    tu_buf_t p = TU_BUF(props);
    tu_put_property(&p, "Socket-Type", type, strlen(type));
    tu_put_property(&p, "Identity", id, len);
    tu_put_command(b, "READY", props, p.len);
}

void tu_put_handshake(tu_buf_t *b, uint8_t minor, const char *peer_type)
{
    tu_put_greeting(b, 3, minor, "NULL");
    tu_put_ready(b, peer_type);
}

size_t tu_find(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i + n <= hay_len; i++)
        if (memcmp(hay + i, needle, n) == 0) return i;
    return (size_t)-1;
}

bool tu_contains(const uint8_t *hay, size_t hay_len, const uint8_t *needle, size_t n)
{
    return tu_find(hay, hay_len, needle, n) != (size_t)-1;
}

/* ------------------------------------------------------------------------------------ */
/* PRNG                                                                                   */
/* ------------------------------------------------------------------------------------ */

void tu_rng_seed(tu_rng_t *r, uint64_t seed) { r->s = seed; }

uint64_t tu_rng_next(tu_rng_t *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint32_t tu_rng_below(tu_rng_t *r, uint32_t n) { return (uint32_t)(tu_rng_next(r) % n); }

uint32_t tu_rng_range(tu_rng_t *r, uint32_t lo, uint32_t hi)
{
    return lo + tu_rng_below(r, hi - lo + 1);
}

void tu_rng_fill(tu_rng_t *r, uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)tu_rng_next(r);
}

/* ------------------------------------------------------------------------------------ */
/* Event log                                                                              */
/* ------------------------------------------------------------------------------------ */

void tu_log_init(tu_log_t *log)
{
    memset(log, 0, sizeof *log);
    log->status = MZMTP_OK;
}

void tu_log_clear_out(tu_log_t *log) { log->out_len = 0; }

size_t tu_log_count(const tu_log_t *log, mzmtp_conn_event_kind_t kind)
{
    size_t c = 0;
    for (size_t i = 0; i < log->n; i++) c += log->ev[i].kind == kind;
    return c;
}

const tu_event_t *tu_log_nth(const tu_log_t *log, mzmtp_conn_event_kind_t kind, size_t idx)
{
    for (size_t i = 0; i < log->n; i++)
        if (log->ev[i].kind == kind && idx-- == 0) return &log->ev[i];
    return NULL;
}

const uint8_t *tu_ev_data(const tu_log_t *log, const tu_event_t *ev)
{
    return log->arena + ev->off;
}

const uint8_t *tu_ev_frame(const tu_log_t *log, const tu_event_t *ev, unsigned i)
{
    size_t off = ev->off;
    for (unsigned k = 0; k < i; k++) off += ev->frame_len[k];
    return log->arena + off;
}

uint8_t *tu_cmd_buf(const mzmtp_conn_t *c)
{
    static const mzmtp_conn_t *owner[TU_MAX_ENGINES];
    static uint8_t buf[TU_MAX_ENGINES][TU_CMD_BYTES];
    for (size_t i = 0; i < TU_MAX_ENGINES; i++) {
        if (owner[i] == c) return buf[i];
        if (owner[i] == NULL) {
            owner[i] = c;
            return buf[i];
        }
    }
    fail_msg("more than TU_MAX_ENGINES engines");
    return NULL;
}

mzmtp_conn_opts_t tu_conn_opts(void)
{
    mzmtp_conn_opts_t o;
    memset(&o, 0, sizeof o);
    o.rcvhwm = 1000;
    return o;
}

static void arena_put(tu_log_t *log, const uint8_t *p, size_t n)
{
    if (n > TU_LOG_ARENA - log->used) fail_msg("tu_log arena overflow");
    if (n) memcpy(log->arena + log->used, p, n);
    log->used += n;
}

static void out_put(tu_log_t *log, const uint8_t *p, size_t n)
{
    size_t room = TU_LOG_OUT - log->out_len;
    size_t k = n < room ? n : room;
    if (k) memcpy(log->out + log->out_len, p, k);
    log->out_len += k;
    log->out_total += n;
}

size_t tu_conn_drain_output_slowly(mzmtp_conn_t *conn, tu_log_t *log, size_t max_write)
{
    size_t total = 0;
    for (int guard = 0; guard < 100000; guard++) {
        mzmtp_iov_t iov[4];
        size_t n = mzmtp_conn_output(conn, iov, 4);
        if (n == 0) return total;
        size_t w = 0;
        for (size_t i = 0; i < n && w < max_write; i++) {
            size_t k = iov[i].len;
            if (k > max_write - w) k = max_write - w;
            out_put(log, iov[i].base, k);
            w += k;
        }
        if (w == 0) fail_msg("mzmtp_conn_output gave only empty vectors");
        mzmtp_conn_output_done(conn, w);
        total += w;
    }
    fail_msg("output never drains");
    return total;
}

size_t tu_conn_drain_output(mzmtp_conn_t *conn, tu_log_t *log)
{
    return tu_conn_drain_output_slowly(conn, log, (size_t)-1);
}

/* Continue reading the head message. @return true when it is done. */
static bool read_message(mzmtp_conn_t *conn, tu_log_t *log)
{
    static uint8_t buf[4096];
    size_t cap = log->read_cap ? log->read_cap : sizeof buf;
    if (cap > sizeof buf) cap = sizeof buf;
    tu_event_t *ev = &log->ev[log->n - 1];
    while (log->in_msg) {
        size_t n = 0;
        unsigned flags = 0;
        mzmtp_status_t st = mzmtp_conn_read(conn, buf, cap, &n, &flags);
        if (st == MZMTP_AGAIN) return false;
        if (st != MZMTP_OK) fail_msg("mzmtp_conn_read returned %s", mzmtp_status_str(st));
        if (n > cap) fail_msg("mzmtp_conn_read wrote %zu bytes into %zu", n, cap);
        if (!log->frame_open) {
            if (ev->nframes >= TU_MAX_FRAMES) fail_msg("more than %d frames", TU_MAX_FRAMES);
            ev->frame_len[ev->nframes++] = 0;
            log->frame_open = true;
        }
        arena_put(log, buf, n);
        ev->len += n;
        ev->frame_len[ev->nframes - 1] += (uint32_t)n;
        if (n) ev->chunks++;
        ev->frame_flags[ev->nframes - 1] = flags;
        if (flags & MZMTP_RECV_PARTIAL) {
            if (n == 0) return false;
            continue;
        }
        log->frame_open = false;
        if (!(flags & MZMTP_RECV_MORE)) log->in_msg = false;
    }
    return true;
}

mzmtp_status_t tu_conn_pump(mzmtp_conn_t *conn, tu_log_t *log, uint32_t now_ms)
{
    for (int guard = 0; guard < 1000000; guard++) {
        if (!log->link_output) tu_conn_drain_output(conn, log);
        if (log->status != MZMTP_OK) return log->status;
        bool mid = false;
        if (log->in_msg && !read_message(conn, log)) {
            if (!log->process_mid_message) return MZMTP_AGAIN;
            mid = true;
        }
        mzmtp_conn_event_t ev;
        memset(&ev, 0, sizeof ev);
        ev.peer_type = -2;
        mzmtp_status_t st = mzmtp_conn_process(conn, now_ms, &ev);
        if (mid && st == MZMTP_OK && ev.kind == MZMTP_CONN_EV_MESSAGE) {
            /* The same message, still at the head: read on if that now gives bytes. */
            size_t before = log->ev[log->n - 1].len;
            unsigned frames = log->ev[log->n - 1].nframes;
            if (read_message(conn, log)) continue;
            if (log->ev[log->n - 1].len == before && log->ev[log->n - 1].nframes == frames)
                return MZMTP_AGAIN;
            continue;
        }
        if (st == MZMTP_AGAIN) {
            if (!log->link_output) tu_conn_drain_output(conn, log);
            return MZMTP_AGAIN;
        }
        if (ev.kind != MZMTP_CONN_EV_NONE) {
            if (log->n >= TU_LOG_EVENTS) fail_msg("tu_log: too many events");
            tu_event_t *e = &log->ev[log->n++];
            memset(e, 0, sizeof *e);
            e->kind = ev.kind;
            e->peer_type = ev.peer_type;
            e->off = log->used;
            if (ev.kind != MZMTP_CONN_EV_MESSAGE) {
                if (ev.len && !ev.data) fail_msg("event with length %zu and no data", ev.len);
                arena_put(log, ev.data, ev.len);
                e->len = ev.len;
            }
        }
        if (st != MZMTP_OK) {
            log->status = st;
            if (!log->link_output) tu_conn_drain_output(conn, log);
            return st;
        }
        if (ev.kind == MZMTP_CONN_EV_MESSAGE) {
            if (log->skip_messages) {
                mzmtp_conn_skip(conn);
            } else {
                log->in_msg = true;
                log->frame_open = false;
            }
        }
    }
    fail_msg("mzmtp_conn_process never returned MZMTP_AGAIN");
    return MZMTP_AGAIN;
}

mzmtp_status_t tu_conn_feed(mzmtp_conn_t *conn, tu_log_t *log, const uint8_t *script,
                            size_t len, tu_split_t split, uint64_t seed, uint32_t now_ms)
{
    tu_rng_t rng;
    tu_rng_seed(&rng, seed);
    mzmtp_status_t st = tu_conn_pump(conn, log, now_ms);
    if ((int)st < 0) return st;
    size_t pos = 0;
    int stalled = 0;
    while (pos < len) {
        size_t chunk = len - pos;
        if (split == TU_BYTEWISE) chunk = 1;
        else if (split == TU_RANDOM) {
            size_t c = tu_rng_range(&rng, 1, 64);
            if (c < chunk) chunk = c;
        }
        size_t consumed = 0;
        mzmtp_conn_input(conn, script + pos, chunk, now_ms, &consumed);
        if (consumed > chunk) fail_msg("mzmtp_conn_input consumed %zu of %zu", consumed, chunk);
        pos += consumed;
        st = tu_conn_pump(conn, log, now_ms);
        if ((int)st < 0) return st;
        if (consumed == 0) {
            if (++stalled > 2) return MZMTP_AGAIN;
        } else {
            stalled = 0;
        }
    }
    return MZMTP_OK;
}

/* ------------------------------------------------------------------------------------ */
/* Links                                                                                  */
/* ------------------------------------------------------------------------------------ */

static void end_sock(tu_end_t *e, mzmtp_socket_t *s, int peer)
{
    memset(e, 0, sizeof *e);
    e->sock = s;
    e->peer = peer;
    e->status = MZMTP_OK;
}

static void end_conn(tu_end_t *e, mzmtp_conn_t *c, tu_log_t *log)
{
    memset(e, 0, sizeof *e);
    e->conn = c;
    e->log = log;
    e->status = MZMTP_OK;
    log->link_output = true;
}

void tu_link_sockets(tu_link_t *l, mzmtp_socket_t *a, int pa, mzmtp_socket_t *b, int pb)
{
    memset(l, 0, sizeof *l);
    end_sock(&l->a, a, pa);
    end_sock(&l->b, b, pb);
}

void tu_link_socket_conn(tu_link_t *l, mzmtp_socket_t *a, int pa, mzmtp_conn_t *conn,
                         tu_log_t *log)
{
    memset(l, 0, sizeof *l);
    end_sock(&l->a, a, pa);
    end_conn(&l->b, conn, log);
}

void tu_link_conns(tu_link_t *l, mzmtp_conn_t *a, tu_log_t *la, mzmtp_conn_t *b, tu_log_t *lb)
{
    memset(l, 0, sizeof *l);
    end_conn(&l->a, a, la);
    end_conn(&l->b, b, lb);
}

static size_t end_output(tu_end_t *e, mzmtp_iov_t *iov, size_t max)
{
    if (e->sock) return mzmtp_socket_peer_output(e->sock, e->peer, iov, max);
    return mzmtp_conn_output(e->conn, iov, max);
}

static void end_output_done(tu_end_t *e, size_t n)
{
    if (e->sock) mzmtp_socket_peer_output_done(e->sock, e->peer, n);
    else mzmtp_conn_output_done(e->conn, n);
}

static size_t end_input(tu_end_t *e, const uint8_t *p, size_t n, uint32_t now)
{
    size_t consumed = 0;
    if (e->sock) {
        mzmtp_status_t st = mzmtp_socket_peer_input(e->sock, e->peer, p, n, now, &consumed);
        if ((int)st < 0 && e->status == MZMTP_OK) e->status = st;
    } else {
        mzmtp_conn_input(e->conn, p, n, now, &consumed);
        mzmtp_status_t st = tu_conn_pump(e->conn, e->log, now);
        if ((int)st < 0 && e->status == MZMTP_OK) e->status = st;
    }
    if (consumed > n) fail_msg("input consumed %zu of %zu", consumed, n);
    return consumed;
}

static size_t move_bytes(tu_end_t *src, tu_end_t *dst, uint32_t now)
{
    if (dst->status != MZMTP_OK) return 0;
    mzmtp_iov_t iov[8];
    size_t n = end_output(src, iov, 8);
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (iov[i].len == 0) continue;
        size_t c = end_input(dst, iov[i].base, iov[i].len, now);
        total += c;
        if (c < iov[i].len || dst->status != MZMTP_OK) break;
    }
    if (total) end_output_done(src, total);
    return total;
}

size_t tu_pump(tu_link_t *links, size_t n, uint32_t now_ms)
{
    size_t total = 0;
    for (int guard = 0; guard < 1000000; guard++) {
        size_t moved = 0;
        for (size_t i = 0; i < n; i++) {
            tu_link_t *l = &links[i];
            if (l->cut) continue;
            if (l->a.conn && l->a.status == MZMTP_OK) {
                mzmtp_status_t st = tu_conn_pump(l->a.conn, l->a.log, now_ms);
                if ((int)st < 0) l->a.status = st;
            }
            if (l->b.conn && l->b.status == MZMTP_OK) {
                mzmtp_status_t st = tu_conn_pump(l->b.conn, l->b.log, now_ms);
                if ((int)st < 0) l->b.status = st;
            }
            size_t m = move_bytes(&l->a, &l->b, now_ms) + move_bytes(&l->b, &l->a, now_ms);
            l->moved += m;
            moved += m;
        }
        total += moved;
        if (moved == 0) return total;
    }
    fail_msg("tu_pump: links never went quiet");
    return total;
}

void tu_connect_sockets_from(tu_link_t *l, mzmtp_socket_t *a, mzmtp_socket_t *b,
                             const char *b_address, uint32_t now_ms)
{
    int pa = -1, pb = -1;
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(a, false, &pa), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_open(b, true, &pb), MZMTP_OK);
    if (b_address != NULL) mzmtp_socket_peer_set_address(a, pa, b_address);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(a, pa, now_ms), MZMTP_OK);
    TU_ASSERT_STATUS(mzmtp_socket_peer_start(b, pb, now_ms), MZMTP_OK);
    tu_link_sockets(l, a, pa, b, pb);
}

void tu_connect_sockets(tu_link_t *l, mzmtp_socket_t *a, mzmtp_socket_t *b, uint32_t now_ms)
{
    tu_connect_sockets_from(l, a, b, NULL, now_ms);
}

void tu_expect_handshake_refused(mzmtp_socket_t *a, mzmtp_socket_t *b, mzmtp_status_t why)
{
    tu_link_t l;
    tu_connect_sockets(&l, a, b, 0);
    tu_socket_send_str(b, "hello", MZMTP_OK);
    tu_pump(&l, 1, 0);
    TU_ASSERT_STATUS(l.a.status, why);
    TU_ASSERT_STATUS(l.b.status, why);
    assert_int_equal(mzmtp_socket_peer_count(a), 0);
    assert_int_equal(mzmtp_socket_poll(a) & MZMTP_POLLIN, 0);
}

mzmtp_status_t tu_socket_recv_msg(mzmtp_socket_t *sock, uint8_t *buf, size_t cap, size_t *len,
                                  unsigned *nframes, size_t *frame_len, size_t max_frames)
{
    size_t total = 0;
    unsigned frames = 0;
    bool frame_open = false;
    for (int guard = 0; guard < 1000000; guard++) {
        size_t n = 0;
        unsigned flags = 0;
        mzmtp_status_t st = mzmtp_socket_recv(sock, buf + total, cap - total, &n, &flags);
        if (st != MZMTP_OK) {
            if (total || frames) fail_msg("recv returned %s in the middle of a message", mzmtp_status_str(st));
            return st;
        }
        if (n > cap - total) fail_msg("recv wrote %zu bytes into %zu", n, cap - total);
        if (!frame_open) {
            if (frames >= max_frames) fail_msg("message has more than %zu frames", max_frames);
            frame_len[frames++] = 0;
            frame_open = true;
        }
        frame_len[frames - 1] += n;
        total += n;
        if (flags & MZMTP_RECV_PARTIAL) {
            if (total == cap) fail_msg("recv buffer of %zu bytes too small", cap);
            continue;
        }
        frame_open = false;
        if (!(flags & MZMTP_RECV_MORE)) {
            *len = total;
            *nframes = frames;
            return MZMTP_OK;
        }
    }
    fail_msg("recv never finished a message");
    return MZMTP_AGAIN;
}

void tu_socket_send_str(mzmtp_socket_t *sock, const char *s, mzmtp_status_t expect)
{
    TU_ASSERT_STATUS(mzmtp_socket_send(sock, s, strlen(s), false), expect);
}

mzmtp_peerset_t tu_peers(uint32_t bits)
{
    mzmtp_peerset_t s;
    memset(&s, 0, sizeof s);
    if (MZMTP_CONF_MAX_PEERS < 32 && (bits >> (MZMTP_CONF_MAX_PEERS % 32)) != 0) {
        fail_msg("peer bits 0x%x beyond the %d slots of this build", (unsigned)bits,
                 (int)MZMTP_CONF_MAX_PEERS);
    }
    s.w[0] = bits;
    return s;
}

void tu_conn_need_type(int type)
{
    if (MZMTP_CONN_NO_DELIVERY && type >= 0 && type < 16 &&
        !(((unsigned)MZMTP_CONF_SOCKET_TYPES >> type) & 1u)) {
        const char *name = mzmtp_wire_socket_type_name(type);
        print_message("needs a %s engine; this build has MZMTP_CONF_SOCKET_TYPES 0x%x and no "
                      "delivery path\n", name ? name : "?", (unsigned)MZMTP_CONF_SOCKET_TYPES);
        skip();
    }
}

void tu_socket_init(mzmtp_socket_t *sock, int type, const mzmtp_socket_mem_t *mem)
{
    if (type >= 0 && type < 16 && !(((unsigned)MZMTP_CONF_SOCKET_TYPES >> type) & 1u)) {
        const char *name = mzmtp_wire_socket_type_name(type);
        print_message("needs a %s socket; this build has MZMTP_CONF_SOCKET_TYPES 0x%x\n",
                      name ? name : "?", (unsigned)MZMTP_CONF_SOCKET_TYPES);
        skip();
    }
    TU_ASSERT_STATUS(mzmtp_socket_init(sock, type, mem), MZMTP_OK);
}

void tu_socket_hold_below(mzmtp_socket_t *sock, int slot, bool *held)
{
    for (;;) {
        int p = -1;
        TU_ASSERT_STATUS(mzmtp_socket_peer_open(sock, false, &p), MZMTP_OK);
        if (p == slot) {
            mzmtp_socket_peer_release(sock, p); /* free again, for the connection */
            return;
        }
        if (p > slot) fail_msg("slot %d is taken already", slot);
        held[p] = true;
    }
}

void tu_socket_release_held(mzmtp_socket_t *sock, bool *held)
{
    for (int p = 0; p < MZMTP_CONF_MAX_PEERS; p++) {
        if (!held[p]) continue;
        mzmtp_socket_peer_release(sock, p);
        held[p] = false;
    }
}

unsigned tu_word_edge_slots(int *out, unsigned max)
{
    static const int edges[] = {0, 1, 31, 32, 33, 63, 64, 65, MZMTP_CONF_MAX_PEERS - 1};
    int all[sizeof edges / sizeof edges[0]];
    unsigned n = 0;
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        if (edges[i] < MZMTP_CONF_MAX_PEERS && (n == 0 || all[n - 1] < edges[i])) all[n++] = edges[i];
    }
    unsigned first = n > max ? n - max : 0;
    for (unsigned i = first; i < n; i++) out[i - first] = all[i];
    return n - first;
}

void tu_outq_begin(mzmtp_outq_t *q, uint32_t bits)
{
    mzmtp_outq_begin(q, tu_peers(bits));
}

int tu_socket_tick(mzmtp_socket_t *sock, uint32_t now_ms)
{
    bool any = mzmtp_socket_tick(sock, now_ms);
    int found = TU_NO_DEAD, n = 0;
    for (int p = mzmtp_socket_peer_next_dead(sock, -1), prev = -1; p >= 0;
         prev = p, p = mzmtp_socket_peer_next_dead(sock, p)) {
        assert_true(p > prev && p < MZMTP_CONF_MAX_PEERS);
        assert_true(mzmtp_socket_peer_status(sock, p) != MZMTP_OK);
        found = p;
        n++;
    }
    assert_true(any == (n > 0));
    return n > 1 ? TU_MANY_DEAD : found;
}

size_t tu_socket_take_output(mzmtp_socket_t *sock, int peer, uint8_t *out, size_t cap)
{
    size_t total = 0;
    for (int guard = 0; guard < 100000; guard++) {
        mzmtp_iov_t iov[8];
        size_t n = mzmtp_socket_peer_output(sock, peer, iov, 8);
        size_t w = 0;
        for (size_t i = 0; i < n; i++) {
            if (iov[i].len > cap - total) fail_msg("socket output exceeds %zu bytes", cap);
            memcpy(out + total, iov[i].base, iov[i].len);
            total += iov[i].len;
            w += iov[i].len;
        }
        if (w == 0) return total;
        mzmtp_socket_peer_output_done(sock, peer, w);
    }
    fail_msg("socket output never drains");
    return total;
}

mzmtp_status_t tu_socket_feed(mzmtp_socket_t *sock, int peer, const uint8_t *in, size_t len,
                              uint32_t now_ms)
{
    size_t consumed = 0;
    mzmtp_status_t st = mzmtp_socket_peer_input(sock, peer, in, len, now_ms, &consumed);
    if (consumed > len) fail_msg("peer_input consumed %zu of %zu", consumed, len);
    if ((int)st >= 0 && consumed < len) {
        fail_msg("peer_input took %zu of %zu bytes (%s)", consumed, len, mzmtp_status_str(st));
    }
    return st;
}

void tu_monitor(void *ctx, mzmtp_socket_t *sock, mzmtp_socket_event_t ev, int peer,
                mzmtp_status_t st)
{
    tu_mon_log_t *m = ctx;
    (void)sock;
    if (m->n < 16) {
        m->ev[m->n] = ev;
        m->peer[m->n] = peer;
        m->st[m->n] = st;
        m->n++;
    }
}

bool tu_mon_has(const tu_mon_log_t *m, mzmtp_socket_event_t ev, mzmtp_status_t st)
{
    for (int i = 0; i < m->n; i++)
        if (m->ev[i] == ev && m->st[i] == st) return true;
    return false;
}

void tu_fair_round(tu_fair_t *f)
{
    memset(f->round, 0, sizeof f->round);
}

void tu_fair_take(tu_fair_t *f, uint8_t who, uint8_t seq)
{
    assert_true(who < 3);
    assert_int_equal(seq, f->next_seq[who]);
    f->next_seq[who]++;
    f->counts[who]++;
    f->round[who]++;
    int mx = f->round[0], mn = f->round[0];
    for (int j = 1; j < 3; j++) {
        if (f->round[j] > mx) mx = f->round[j];
        if (f->round[j] < mn) mn = f->round[j];
    }
    if (mx - mn > f->worst) f->worst = mx - mn;
}

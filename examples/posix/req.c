/*
 * req: the zguide "hello world" client. A REQ socket sends COUNT requests, strictly one
 * at a time: each must be answered before the next may go (RFC 28). A REQ that loses its
 * server waits for ever, so each reply gets a deadline.
 *
 *   example_req [-b|-c] ENDPOINT [COUNT]      defaults: connect, 10 requests
 *
 * Sends "request N", expects "reply to request N" (what example_rep and the pyzmq peer
 * answer). Exits 0 when every reply came and matched, 1 otherwise.
 */
#include "example.h"

MZMTP_SOCKET_MEM_DEFINE(req_mem, 512, 512);
static mzmtp_socket_t req;
static mzmtp_posix_t io;

/* ---- socket logic: microzmtp.h only, reusable on a device ---- */

/* Send request @p n. */
static mzmtp_status_t req_ask(mzmtp_socket_t *s, unsigned n)
{
    return example_send_numbered(s, "request", n);
}

/* @return true when @p reply answers request @p n. */
static bool req_reply_ok(const example_msg_t *reply, unsigned n)
{
    char want[48];
    (void)snprintf(want, sizeof want, "reply to request %u", n);
    return strcmp(reply->text, want) == 0;
}

/* ---- the POSIX loop ---- */

/* Wait until @p sock has @p events, for at most EXAMPLE_IDLE_MS. */
static bool wait_for(mzmtp_socket_t *sock, unsigned events, const char *what)
{
    mzmtp_posix_pollitem_t item = {.socket = sock, .fd = -1, .events = events};
    return example_poll(&io, &item, 1, "req", what);
}

int main(int argc, char **argv)
{
    example_args_t args = {.name = "req", .bind = false, .count = 10};
    if (!example_start(argc, argv, &args, &io, &req, MZMTP_REQ, &req_mem)) return 1;

    for (unsigned n = 0; n < args.count; n++) {
        mzmtp_status_t st = MZMTP_AGAIN;
        while (st == MZMTP_AGAIN) {
            if (!wait_for(&req, MZMTP_POLLOUT, "server")) return 1;
            st = req_ask(&req, n);
        }
        if (st != MZMTP_OK) {
            fprintf(stderr, "req: send: %s\n", mzmtp_status_str(st));
            return 1;
        }
        example_msg_t reply = {0};
        do {
            if (!wait_for(&req, MZMTP_POLLIN, "reply")) return 1;
            st = example_recv(&req, &reply);
        } while (st == MZMTP_AGAIN);
        if (st != MZMTP_OK || !req_reply_ok(&reply, n)) {
            fprintf(stderr, "req: bad reply to request %u: %s \"%s\"\n", n, mzmtp_status_str(st),
                    reply.text);
            return 1;
        }
        printf("req: request %u answered \"%s\"\n", n, reply.text);
        fflush(stdout);
    }
    (void)mzmtp_posix_close(&io, &req, 0); /* every request was answered: nothing queued */
    return 0;
}

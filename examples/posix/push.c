/*
 * push: the zguide "ventilator". A PUSH socket hands out COUNT tasks, round-robin over the
 * PULL peers that are connected (RFC 30); a PUSH never drops: with no peer able to take
 * one more message, sending waits (here: mzmtp_posix_poll() for MZMTP_POLLOUT).
 *
 *   example_push [-b|-c] ENDPOINT [COUNT]      defaults: bind, 10 tasks
 *
 * Exits 0 once every task was written, 1 on an error or after 10 s without progress.
 * Bound, it waits for a first PULL peer; connected, tasks queue until the connection is
 * up (wire-notes R4).
 */
#include "example.h"

MZMTP_SOCKET_MEM_DEFINE(push_mem, 2048, 512); /* send ring; receive buffer per peer */
static mzmtp_socket_t push;
static mzmtp_posix_t io;

/* ---- socket logic: microzmtp.h only, reusable on a device ---- */

/* Queue task @p n ("task 3"). @return mzmtp_socket_send()'s status: MZMTP_AGAIN when no
 * peer can take it now. */
static mzmtp_status_t push_task(mzmtp_socket_t *s, unsigned n)
{
    return example_send_numbered(s, "task", n);
}

/* ---- the POSIX loop ---- */

int main(int argc, char **argv)
{
    example_args_t args = {.name = "push", .bind = true, .count = 10};
    if (!example_start(argc, argv, &args, &io, &push, MZMTP_PUSH, &push_mem)) return 1;

    for (unsigned sent = 0; sent < args.count;) {
        mzmtp_posix_pollitem_t item = {.socket = &push, .fd = -1, .events = MZMTP_POLLOUT};
        if (!example_poll(&io, &item, 1, "push", "peer to take a task")) return 1;
        mzmtp_status_t st = push_task(&push, sent);
        if (st == MZMTP_AGAIN) continue; /* the peer filled up meanwhile: wait again */
        if (st != MZMTP_OK) {
            fprintf(stderr, "push: send: %s\n", mzmtp_status_str(st));
            return 1;
        }
        printf("push: sent task %u\n", sent);
        fflush(stdout);
        sent++;
    }
    /* Tasks are queued, not yet written: flush them before leaving. */
    return example_flush_and_close(&io, &push, "push", "tasks");
}

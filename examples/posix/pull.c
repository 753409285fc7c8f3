/*
 * pull: the zguide worker. A PULL socket receives tasks, fair-queued over its PUSH peers
 * (RFC 30). With -s it also has a SUB socket for control messages from its manager, and
 * waits on both sockets with one mzmtp_posix_poll() call (the zguide "mspoller").
 *
 *   example_pull [-b|-c] ENDPOINT [COUNT] [-s CONTROL_ENDPOINT]   defaults: connect, 10
 *
 * Exits 0 once it has COUNT tasks and, with -s, at least one control message; 1 on an
 * error or after 10 s without a message.
 */
#include "example.h"

MZMTP_SOCKET_MEM_DEFINE(pull_mem, 256, 512); /* PULL sends nothing but the handshake */
MZMTP_SOCKET_MEM_DEFINE(ctl_mem, 512, 512);  /* SUB sends its subscriptions */
static mzmtp_socket_t pull, ctl;
static mzmtp_posix_t io;

/* ---- socket logic: microzmtp.h only, reusable on a device ---- */

/* What the worker has seen so far. */
typedef struct worker {
    example_msg_t task, control; /* messages being read */
    unsigned tasks, controls;
} worker_t;

/* Take one message from @p s into @p m, if a whole one has arrived: print it after
 * @p what and count it in @p count. A task, or a control message (a real worker would obey
 * it: "stop", "rate 5"…). @return false on an error. */
static bool worker_take(mzmtp_socket_t *s, example_msg_t *m, unsigned *count, const char *what)
{
    mzmtp_status_t st = example_recv(s, m);
    if (st == MZMTP_AGAIN) return true;
    if (st != MZMTP_OK) return false;
    printf("pull: %s \"%s\"\n", what, m->text);
    ++*count;
    return true;
}

/* ---- the POSIX loop ---- */

int main(int argc, char **argv)
{
    example_args_t args = {.name = "pull", .bind = false, .count = 10};
    if (!example_start(argc, argv, &args, &io, &pull, MZMTP_PULL, &pull_mem)) return 1;
    bool with_ctl = args.endpoint2 != NULL;
    if (with_ctl && (!example_socket(&ctl, MZMTP_SUB, &ctl_mem, "pull") ||
                     mzmtp_socket_subscribe(&ctl, "", 0) != MZMTP_OK ||
                     !example_open(&io, &ctl, "pull", args.endpoint2, false))) {
        return 1;
    }

    worker_t w = {0};
    while (w.tasks < args.count || (with_ctl && w.controls == 0)) {
        mzmtp_posix_pollitem_t items[2] = {
            {.socket = &pull, .fd = -1, .events = MZMTP_POLLIN},
            {.socket = &ctl, .fd = -1, .events = MZMTP_POLLIN},
        };
        if (!example_poll(&io, items, with_ctl ? 2u : 1u, "pull", "task or control message")) {
            fprintf(stderr, "pull: %u tasks, %u control messages\n", w.tasks, w.controls);
            return 1;
        }
        if (((items[0].revents & MZMTP_POLLIN) && !worker_take(&pull, &w.task, &w.tasks, "got")) ||
            ((items[1].revents & MZMTP_POLLIN) &&
             !worker_take(&ctl, &w.control, &w.controls, "control"))) {
            fprintf(stderr, "pull: receive failed\n");
            return 1;
        }
        fflush(stdout);
    }
    printf("pull: done, %u tasks and %u control messages\n", w.tasks, w.controls);
    (void)mzmtp_posix_close(&io, &pull, 0);
    if (with_ctl) (void)mzmtp_posix_close(&io, &ctl, 0);
    return 0;
}

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

/* Take one task from @p s, if a whole one has arrived. @return false on an error. */
static bool worker_take_task(worker_t *w, mzmtp_socket_t *s)
{
    mzmtp_status_t st = example_recv(s, &w->task);
    if (st == MZMTP_AGAIN) return true;
    if (st != MZMTP_OK) return false;
    printf("pull: got \"%s\"\n", w->task.text);
    w->tasks++;
    return true;
}

/* Take one control message from @p s (a real worker would obey it: "stop", "rate 5"…). */
static bool worker_take_control(worker_t *w, mzmtp_socket_t *s)
{
    mzmtp_status_t st = example_recv(s, &w->control);
    if (st == MZMTP_AGAIN) return true;
    if (st != MZMTP_OK) return false;
    printf("pull: control \"%s\"\n", w->control.text);
    w->controls++;
    return true;
}

/* ---- the POSIX loop ---- */

int main(int argc, char **argv)
{
    example_args_t args = {.name = "pull", .bind = false, .count = 10};
    example_parse(argc, argv, &args);
    bool with_ctl = args.endpoint2 != NULL;
    mzmtp_posix_init(&io);
    if (!example_socket(&pull, MZMTP_PULL, &pull_mem, "pull") ||
        !example_open(&io, &pull, "pull", args.endpoint, args.bind)) {
        return 1;
    }
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
        int ready = mzmtp_posix_poll(&io, items, with_ctl ? 2u : 1u, EXAMPLE_IDLE_MS);
        if (ready < 0) {
            perror("pull: poll");
            return 1;
        }
        if (ready == 0) {
            fprintf(stderr, "pull: nothing for %d ms (%u tasks, %u control messages)\n",
                    EXAMPLE_IDLE_MS, w.tasks, w.controls);
            return 1;
        }
        if (((items[0].revents & MZMTP_POLLIN) && !worker_take_task(&w, &pull)) ||
            ((items[1].revents & MZMTP_POLLIN) && !worker_take_control(&w, &ctl))) {
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

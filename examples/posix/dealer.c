/*
 * dealer: an asynchronous client. A DEALER socket needs no lockstep (RFC 28): it keeps up
 * to WINDOW requests in flight and takes the replies as they come. examples/router.py is
 * a ROUTER that answers each message; any ROUTER that answers "reply to " + the last
 * frame will do.
 *
 *   example_dealer [-b|-c] ENDPOINT [COUNT]      defaults: connect, 10 requests
 *
 * Sends "hello N", expects "reply to hello N" in order. Exits 0 when every reply came
 * and matched, 1 otherwise.
 */
#include "example.h"

#define WINDOW 3u /* requests in flight at most */

MZMTP_SOCKET_MEM_DEFINE(dealer_mem, 1024, 512);
static mzmtp_socket_t dealer;
static mzmtp_posix_t io;

/* ---- socket logic: microzmtp.h only, reusable on a device ---- */

typedef struct client {
    unsigned sent, answered, count;
    example_msg_t reply; /* being read */
} client_t;

/* @return true while another request may go out. */
static bool client_may_send(const client_t *c)
{
    return c->sent < c->count && c->sent - c->answered < WINDOW;
}

/* Send the next request. MZMTP_AGAIN: no peer can take it now. */
static mzmtp_status_t client_send(client_t *c, mzmtp_socket_t *s)
{
    char text[32];
    (void)snprintf(text, sizeof text, "hello %u", c->sent);
    mzmtp_status_t st = example_send_text(s, text);
    if (st == MZMTP_OK) c->sent++;
    return st;
}

/* Take a reply if a whole one has arrived; it must answer the oldest open request.
 * @return MZMTP_OK (one taken, or MZMTP_AGAIN: none yet), or an error; MZMTP_ERR_PROTOCOL
 *         for a reply that answers something else. */
static mzmtp_status_t client_take_reply(client_t *c, mzmtp_socket_t *s)
{
    mzmtp_status_t st = example_recv(s, &c->reply);
    if (st != MZMTP_OK) return st;
    char want[48];
    (void)snprintf(want, sizeof want, "reply to hello %u", c->answered);
    if (strcmp(c->reply.text, want) != 0) return MZMTP_ERR_PROTOCOL;
    c->answered++;
    return MZMTP_OK;
}

/* ---- the POSIX loop ---- */

int main(int argc, char **argv)
{
    example_args_t args = {.name = "dealer", .bind = false, .count = 10};
    if (!example_start(argc, argv, &args, &io, &dealer, MZMTP_DEALER, &dealer_mem)) return 1;

    client_t c = {.count = args.count};
    while (c.answered < c.count) {
        unsigned events = MZMTP_POLLIN;
        if (client_may_send(&c)) events |= MZMTP_POLLOUT;
        mzmtp_posix_pollitem_t item = {.socket = &dealer, .fd = -1, .events = events};
        if (!example_poll(&io, &item, 1, "dealer", "reply and no room to send")) {
            fprintf(stderr, "dealer: %u sent, %u answered\n", c.sent, c.answered);
            return 1;
        }
        mzmtp_status_t st = MZMTP_OK;
        if (item.revents & MZMTP_POLLOUT) {
            st = client_send(&c, &dealer);
            if (st == MZMTP_OK) printf("dealer: sent hello %u\n", c.sent - 1);
        }
        if ((int)st >= 0 && (item.revents & MZMTP_POLLIN)) {
            st = client_take_reply(&c, &dealer);
            if (st == MZMTP_OK) printf("dealer: got \"%s\"\n", c.reply.text);
        }
        if ((int)st < 0) {
            fprintf(stderr, "dealer: %s (last reply \"%s\")\n", mzmtp_status_str(st), c.reply.text);
            return 1;
        }
        fflush(stdout);
    }
    (void)mzmtp_posix_close(&io, &dealer, 0); /* every request was answered */
    return 0;
}

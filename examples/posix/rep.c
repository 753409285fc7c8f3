/*
 * rep: the zguide "hello world" server. A REP socket reads one request at a time and
 * must answer it before reading the next (RFC 28); the reply goes back to the peer that
 * asked, whatever the number of clients connected.
 *
 *   example_rep [-b|-c] ENDPOINT [COUNT]      defaults: bind, 10 requests
 *
 * Answers "reply to " + the request. Exits 0 after COUNT answers were written, 1 on an
 * error or after 10 s without a request.
 */
#include "example.h"

MZMTP_SOCKET_MEM_DEFINE(rep_mem, 1024, 512);
static mzmtp_socket_t rep;
static mzmtp_posix_t io;

/* ---- socket logic: microzmtp.h only, reusable on a device ---- */

/* Answer @p request on @p s; REP adds back the envelope the request came with. */
static mzmtp_status_t rep_answer(mzmtp_socket_t *s, const example_msg_t *request)
{
    char text[160];
    (void)snprintf(text, sizeof text, "reply to %s", request->text);
    return example_send_text(s, text);
}

/* ---- the POSIX loop ---- */

int main(int argc, char **argv)
{
    example_args_t args = {.name = "rep", .bind = true, .count = 10};
    if (!example_start(argc, argv, &args, &io, &rep, MZMTP_REP, &rep_mem)) return 1;

    example_msg_t request = {0};
    for (unsigned answered = 0; answered < args.count;) {
        mzmtp_posix_pollitem_t item = {.socket = &rep, .fd = -1, .events = MZMTP_POLLIN};
        if (!example_poll(&io, &item, 1, "rep", "request")) return 1;
        mzmtp_status_t st = example_recv(&rep, &request);
        if (st == MZMTP_AGAIN) continue;
        if (st == MZMTP_OK) st = rep_answer(&rep, &request); /* a reply is due: never AGAIN */
        if (st != MZMTP_OK) {
            fprintf(stderr, "rep: %s\n", mzmtp_status_str(st));
            return 1;
        }
        printf("rep: answered \"%s\"\n", request.text);
        fflush(stdout);
        answered++;
    }
    /* The last reply is queued, not yet written: flush it before leaving. */
    return example_flush_and_close(&io, &rep, "rep", "the last reply");
}

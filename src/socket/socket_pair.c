/*
 * PAIR (RFC 31): one peer at a time. Compiled only when the build has PAIR.
 */
#include "socket_int.h"

#if MZMTP_CONF_SOCKET_TYPES & MZMTP_TYPESET_PAIR

void mzmtp_sk_pair_handshake(mzmtp_socket_t *s, unsigned p)
{
    if (!mzmtp_peerset_within(&s->ready, &s->ignored)) {
        /* wire-notes S10: a second PAIR peer is ignored; the first is not disturbed. */
        mzmtp_peerset_add(&s->ignored, p);
    }
}

#endif

/* Security glue of sockets (socket_sec.c), internal to src/socket. */
#ifndef MZMTP_SOCKET_SEC_H
#define MZMTP_SOCKET_SEC_H

#include "microzmtp/mzmtp_port.h"
#include "socket_int.h"

/** @return true for the MZMTP_OPT_PLAIN_* and MZMTP_OPT_CURVE_* options. */
bool mzmtp_socket_sec_option(mzmtp_option_t opt);
/** mzmtp_socket_setopt() for those options. */
mzmtp_status_t mzmtp_socket_sec_setopt(mzmtp_socket_t *sock, mzmtp_option_t opt,
                                       const void *val, size_t len);
#if MZMTP_SECURITY
/** A connection starts on @p p: point its engine at the settings, forget the last
 *  peer's User-Id. @return Where its command buffer starts in its area of mem->peer_buf
 *  (after a ROUTER's id and a server's User-Id and address), or SIZE_MAX when the area
 *  is too small for that. */
size_t mzmtp_socket_sec_peer_start(mzmtp_socket_t *sock, unsigned p);
/** Wipe the socket's secrets (close). */
void mzmtp_socket_sec_wipe(mzmtp_socket_t *sock);
#else /* NULL only: nothing to point at, nothing to wipe (and no call for it) */
static inline size_t mzmtp_socket_sec_peer_start(mzmtp_socket_t *sock, unsigned p)
{
    (void)p;
    return IS(sock, MZMTP_ROUTER) ? (size_t)MZMTP_PEER_BUF_RID : 0u;
}
static inline void mzmtp_socket_sec_wipe(mzmtp_socket_t *sock) { (void)sock; }
#endif

#endif

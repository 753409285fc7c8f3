/*
 * ram_probe.c - never run, never linked. Compiled for Cortex-M3, each object below gets a
 * symbol whose size (arm-none-eabi-nm -S) is exactly sizeof its type as the target ABI
 * lays it out. report.sh reads those sizes; nothing has to execute on the target.
 */
#include <stddef.h>
#include "microzmtp/microzmtp.h"

mzmtp_socket_t mzmtp_size_probe_socket;
mzmtp_peer_t mzmtp_size_probe_peer;
mzmtp_conn_t mzmtp_size_probe_conn;
mzmtp_outq_t mzmtp_size_probe_outq;

#if MZMTP_CONF_CURVE
/* CURVE's part of each connection: the whole state, the part that stays once the
 * handshake is done (session key, counters, cursors: everything before the union), and
 * the union itself, the boxing scratch that the handshake's scratch shares. */
mzmtp_curve_state_t mzmtp_size_probe_curve;
char mzmtp_size_probe_curve_fixed[offsetof(mzmtp_curve_state_t, u)];
char mzmtp_size_probe_curve_scratch[sizeof(((mzmtp_curve_state_t *)0)->u)];
char mzmtp_size_probe_curve_hs[sizeof(((mzmtp_curve_state_t *)0)->u.hs)];
#endif

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
/* CURVE's memory: per connection its state, all of which stays for the connection's life
 * (session key, counters, cursors); per socket the boxing scratch its connections share
 * and one handshake slot (the socket has MZMTP_CONF_CURVE_HANDSHAKES of them). */
mzmtp_curve_state_t mzmtp_size_probe_curve;
mzmtp_curve_scratch_t mzmtp_size_probe_curve_scratch;
mzmtp_curve_hs_slot_t mzmtp_size_probe_curve_hs;
char mzmtp_size_probe_curve_slots[MZMTP_CONF_CURVE_HANDSHAKES];
#endif

/*
 * Internal to src/socket: the socket's timer heap (MZMTP_CONF_TIMER_HEAP), which
 * socket.c calls where it noted, ran and reported timers with MZMTP_CONF_TIMER_CACHE.
 */
#ifndef MZMTP_TIMERQ_H
#define MZMTP_TIMERQ_H

#include "socket_int.h"

#if MZMTP_CONF_TIMER_HEAP
/* Peer @p p's engine may have armed a timer: its entry comes down to the engine's
 * earliest deadline if that is sooner (an entry never moves later here), or is added. */
void mzmtp_sk_timer_note(mzmtp_socket_t *s, unsigned p);
/* Tick the engines whose entries are due at @p now_ms; each due entry is checked
 * against its engine first (mzmtp_socket_tick(), mzmtp_port.h). */
void mzmtp_sk_timer_run(mzmtp_socket_t *s, uint32_t now_ms);
/* ms until the earliest entry, 0 if due, UINT32_MAX for none (may be early). */
uint32_t mzmtp_sk_timer_wait(const mzmtp_socket_t *s, uint32_t now_ms);
#endif

#endif /* MZMTP_TIMERQ_H */

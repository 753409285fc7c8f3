/*
 * What the example nodes do alike with a microzmtp socket: open it for their process,
 * print its monitor's events, send numbered messages, and read one whole message however
 * the port hands it over (a message larger than the socket's receive buffer streams in,
 * so MZMTP_AGAIN can come in the middle of one, and reading resumes where it stopped).
 */
#ifndef EXAMPLE_SOCKET_H
#define EXAMPLE_SOCKET_H

#include "mzmtp-contiki.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "example-util.h"

/* 1 (the default): statuses print by name (mzmtp_status_str(), "MZMTP_ERR_CLOSED"); 0:
 * by number ("-9"), for a node built without its test output, which then links none
 * of the names' table (about 600 B of flash on cc2538dk; docs/contiki-ng.md).
 * printf("x " EXAMPLE_ST_FMT "\n", EXAMPLE_ST(st)) prints either. */
#ifndef EXAMPLE_STATUS_NAMES
#define EXAMPLE_STATUS_NAMES 1
#endif
#if EXAMPLE_STATUS_NAMES
#define EXAMPLE_ST_FMT "%s"
#define EXAMPLE_ST(st) mzmtp_status_str(st)
#else
#define EXAMPLE_ST_FMT "%d"
#define EXAMPLE_ST(st) ((int)(st))
#endif

/* A monitor callback that prints every event but connect retries, as
 * "mon [<ctx> ]<event> peer=<n> <status>"; ctx is the socket's name, or NULL. */
static inline void
example_monitor(void *ctx, mzmtp_socket_t *sock, mzmtp_socket_event_t ev, int peer,
                mzmtp_status_t st)
{
  (void)sock;
  if(ev == MZMTP_EV_CONNECT_RETRY) {
    return;
  }
  if(ctx != NULL) {
    printf("mon %s %s peer=%d %s\n", (const char *)ctx, mzmtp_socket_event_str(ev), peer,
           mzmtp_status_str(st));
  } else {
    printf("mon %s peer=%d %s\n", mzmtp_socket_event_str(ev), peer, mzmtp_status_str(st));
  }
}

/* Socket s of type, over mem, with monitor mon (its ctx: name), attached to process p,
 * which then gets its readiness events. Call mzmtp_contiki_init() first.
 * @return MZMTP_OK, or the first status that was not. */
static inline mzmtp_status_t
example_open(mzmtp_socket_t *s, int type, const mzmtp_socket_mem_t *mem, mzmtp_monitor_fn mon,
             const char *name, struct process *p)
{
  mzmtp_status_t st = mzmtp_socket_init(s, type, mem);
  if(st == MZMTP_OK) {
    mzmtp_socket_set_monitor(s, mon, (void *)name);
    st = mzmtp_contiki_attach(s, p, NULL, NULL);
  }
  return st;
}

/* Bind s to @p bind, then connect it to @p connect (either "" for none; the connect only
 * if the bind worked), printing "bind <ep> port=<n> <status>" and "connect <ep> <status>".
 * Inlined with literal endpoints, a node that never connects links no connect code.
 * @return the last status. */
static inline mzmtp_status_t
example_endpoints(mzmtp_socket_t *s, const char *bind, const char *connect)
{
  mzmtp_status_t st = MZMTP_OK;
  if(bind[0] != '\0') {
    uint16_t port = 0;
    st = mzmtp_contiki_bind(s, bind, &port);
    printf("bind %s port=%u " EXAMPLE_ST_FMT "\n", bind, port, EXAMPLE_ST(st));
  }
  if(st == MZMTP_OK && connect[0] != '\0') {
    st = mzmtp_contiki_connect(s, connect);
    printf("connect %s " EXAMPLE_ST_FMT "\n", connect, EXAMPLE_ST(st));
  }
  return st;
}

/* The port's counters (mzmtp_contiki_get_stats()) as the end of a "stats ..." line:
 * " accepted=<n> refused=<n> stalls=<n> resumes=<n> staged_max=<n> aborted=<n>\n". */
static inline void
example_print_port_stats(void)
{
  mzmtp_contiki_stats_t s;
  mzmtp_contiki_get_stats(&s);
  printf(" accepted=%lu refused=%lu stalls=%lu resumes=%lu staged_max=%lu aborted=%lu\n",
         (unsigned long)s.accepted, (unsigned long)s.refused, (unsigned long)s.stalls,
         (unsigned long)s.resumes, (unsigned long)s.staged_max, (unsigned long)s.aborted);
}

/* Send up to n single-frame messages "<prefix><*next>", counting *next up, until one is
 * refused (MZMTP_AGAIN: no peer, or every peer at its high-water mark); then print
 * "<what> <n> ok=<sent> <last status>". prefix is at most 10 characters. */
static inline void
example_send_numbered(mzmtp_socket_t *s, const char *what, const char *prefix,
                      unsigned long *next, unsigned long n)
{
  char body[32];
  unsigned long ok = 0;
  mzmtp_status_t st = MZMTP_OK;
  while(ok < n) {
    st = mzmtp_contiki_send(s, body, label(body, prefix, *next), false);
    if(st != MZMTP_OK) {
      break;
    }
    ++*next;
    ok++;
  }
  printf("%s %lu ok=%lu %s\n", what, n, ok, mzmtp_status_str(st));
}

/* A message being read; all zero before its first byte (example_reader_restart). */
struct example_reader {
  size_t len;
  bool cut;
};

/* Ready r for the next message. */
static inline void
example_reader_restart(struct example_reader *r)
{
  r->len = 0;
  r->cut = false;
}

/* Read the rest of a message into buf: its frames one after the other, with sep between
 * two frames unless sep is '\0'; cut at cap bytes (r->cut says so).
 * @return MZMTP_OK once the message is whole (r->len bytes), MZMTP_AGAIN, or an error. */
static inline mzmtp_status_t
example_read_message(mzmtp_socket_t *s, struct example_reader *r, uint8_t *buf, size_t cap,
                     char sep)
{
  static uint8_t scratch[32];
  unsigned flags;
  size_t n;
  mzmtp_status_t st;
  do {
    if(r->len < cap) {
      st = mzmtp_contiki_recv(s, buf + r->len, cap - r->len, &n, &flags);
      r->len += n;
    } else {
      st = mzmtp_contiki_recv(s, scratch, sizeof(scratch), &n, &flags);
      r->cut = r->cut || n > 0;
    }
    if(st == MZMTP_ERR_TRUNCATED) {
      example_reader_restart(r); /* its peer left midway: that message is over */
    }
    if(st != MZMTP_OK) {
      return st;
    }
    if(sep != '\0' && (flags & MZMTP_RECV_MORE) && !(flags & MZMTP_RECV_PARTIAL)) {
      if(r->len < cap) {
        buf[r->len++] = (uint8_t)sep;
      } else {
        r->cut = true;
      }
    }
  } while(flags & (MZMTP_RECV_MORE | MZMTP_RECV_PARTIAL));
  return MZMTP_OK;
}

/* The same into text as "frame|frame|...", terminated once whole (cut at cap - 1 bytes). */
static inline mzmtp_status_t
example_read_text(mzmtp_socket_t *s, struct example_reader *r, char *text, size_t cap)
{
  mzmtp_status_t st = example_read_message(s, r, (uint8_t *)text, cap - 1, '|');
  if(st == MZMTP_OK) {
    text[r->len] = '\0';
  }
  return st;
}

#endif /* EXAMPLE_SOCKET_H */

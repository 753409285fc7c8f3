/*
 * The Contiki-NG port's logic that needs neither Contiki nor uIP (mzmtp-contiki-logic.h).
 * Unit-tested on the host: tests/unit/test_contiki_logic.c.
 */
#include "mzmtp-contiki-logic.h"

#include <string.h>

/*---------------------------------------------------------------------------*/
void
mzmtp_cl_stage_consume(mzmtp_cl_stage_t *st, size_t n)
{
  if(n >= st->len) {
    mzmtp_cl_stage_clear(st);
    return;
  }
  st->off = (uint16_t)(st->off + n);
  st->len = (uint16_t)(st->len - n);
}
/*---------------------------------------------------------------------------*/
size_t
mzmtp_cl_stage_put(mzmtp_cl_stage_t *st, uint8_t *buf, size_t cap, const uint8_t *d,
                   size_t n)
{
  size_t room;
  if(st->off > 0) {
    memmove(buf, buf + st->off, st->len);
    st->off = 0;
  }
  room = cap > st->len ? cap - st->len : 0u;
  if(n > room) {
    n = room;
  }
  if(n > 0) {
    memcpy(buf + st->len, d, n);
    st->len = (uint16_t)(st->len + n);
  }
  return n;
}
/*---------------------------------------------------------------------------*/
static bool
all_zero(const uint8_t addr[16])
{
  for(int i = 0; i < 16; i++) {
    if(addr[i] != 0) {
      return false;
    }
  }
  return true;
}
/*---------------------------------------------------------------------------*/
mzmtp_status_t
mzmtp_cl_parse_endpoint(const char *endpoint, bool bind, mzmtp_cl_addr_fn conv,
                        uint8_t addr[16], uint16_t *port)
{
  const char *h, *p;
  unsigned long num = 0;
  size_t digits = 0;

  if(endpoint == NULL || addr == NULL || port == NULL ||
     strncmp(endpoint, "tcp://", 6) != 0) {
    return MZMTP_ERR_INVALID;
  }
  h = endpoint + 6;
  memset(addr, 0, 16);
  if(h[0] == '[') {
    const char *close = strchr(h, ']');
    char buf[MZMTP_CL_ADDR_TEXT_MAX + 1];
    size_t n;
    if(close == NULL) {
      return MZMTP_ERR_INVALID;
    }
    n = (size_t)(close - h - 1);
    if(n == 0 || n >= sizeof(buf)) {
      return MZMTP_ERR_INVALID;
    }
    memcpy(buf, h + 1, n);
    buf[n] = '\0';
    if(strcmp(buf, "::") != 0 && (conv == NULL || !conv(buf, addr))) {
      return MZMTP_ERR_INVALID;
    }
    p = close + 1;
  } else if(h[0] == '*' && bind) {
    p = h + 1;
  } else {
    return MZMTP_ERR_INVALID; /* no names, no IPv4 */
  }
  if(!bind && all_zero(addr)) {
    return MZMTP_ERR_INVALID;
  }
  if(*p++ != ':') {
    return MZMTP_ERR_INVALID;
  }
  if(bind && strcmp(p, "*") == 0) {
    *port = 0;
    return MZMTP_OK;
  }
  for(; p[digits] >= '0' && p[digits] <= '9'; digits++) {
    num = num * 10u + (unsigned long)(p[digits] - '0');
    if(digits >= 5) {
      return MZMTP_ERR_INVALID;
    }
  }
  if(digits == 0 || p[digits] != '\0' || num > 65535u || (!bind && num == 0)) {
    return MZMTP_ERR_INVALID;
  }
  *port = (uint16_t)num;
  return MZMTP_OK;
}
/*---------------------------------------------------------------------------*/
bool
mzmtp_cl_schedule_retry(int32_t ivl_ms, int32_t ivl_max_ms, bool failed_connect,
                        uint32_t now, mzmtp_cl_rand_fn rnd, uint32_t *backoff_ms,
                        uint32_t *retry_at)
{
  uint32_t base, jitter;
  if(ivl_ms < 0) {
    return false;
  }
  base = failed_connect ? *backoff_ms : (uint32_t)ivl_ms;
  jitter = base != 0u && rnd != NULL ? rnd() % (base + 1u) : 0u;
  *retry_at = now + base + jitter;
  if(failed_connect && ivl_max_ms > ivl_ms) {
    uint32_t next = *backoff_ms * 2u;
    *backoff_ms = next > (uint32_t)ivl_max_ms ? (uint32_t)ivl_max_ms : next;
  }
  return true;
}
/*---------------------------------------------------------------------------*/

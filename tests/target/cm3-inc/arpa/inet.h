/*
 * The one piece of <arpa/inet.h> a unit test uses (test_contiki_logic: inet_pton for
 * AF_INET6), for bare-metal newlib, which has no such header. See inet6-cm3.c.
 */
#ifndef MZMTP_TARGET_ARPA_INET_H
#define MZMTP_TARGET_ARPA_INET_H
#define AF_INET6 10
int inet_pton(int af, const char *src, void *dst);
#endif

/*
 * inet6-cm3.c - inet_pton(AF_INET6) for the Cortex-M3 test build: 8 groups of 1-4 hex
 * digits separated by ':', at most one "::" standing for one or more zero groups, and an
 * optional dotted IPv4 quad (each part 0-255, no leading zero) as the last 32 bits. Returns 1 and writes
 * 16 bytes in network order when the text is such an address, 0 otherwise.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Dotted quad at s (to the end of the string) into out[4]; 1 when valid. */
static int quad(const char *s, uint8_t out[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned v = 0;
        int digits = 0;
        if (s[0] == '0' && s[1] >= '0' && s[1] <= '9') return 0; /* no leading zero */
        while (*s >= '0' && *s <= '9') {
            v = v * 10u + (unsigned)(*s++ - '0');
            if (++digits > 3 || v > 255u) return 0;
        }
        if (digits == 0) return 0;
        out[i] = (uint8_t)v;
        if (i < 3 && *s++ != '.') return 0;
    }
    return *s == '\0';
}

int inet_pton(int af, const char *src, void *dst)
{
    uint8_t a[16];
    size_t n = 0;      /* bytes written to a */
    int gap = -1;      /* byte index of the "::" */
    const char *s = src;
    if (af != AF_INET6) return -1;
    memset(a, 0, sizeof a);
    if (s[0] == ':') {
        if (s[1] != ':') return 0;
        gap = 0;
        s += 2;
    }
    while (*s != '\0') {
        const char *start = s;
        unsigned v = 0;
        int digits = 0, h;
        while ((h = hexval(*s)) >= 0) {
            v = (v << 4) | (unsigned)h;
            if (++digits > 4) return 0;
            s++;
        }
        if (*s == '.') { /* the IPv4 tail, in place of the last two groups */
            if (n + 4 > 16 || quad(start, a + n) == 0) return 0;
            n += 4;
            break;
        }
        if (digits == 0 || n + 2 > 16) return 0;
        a[n++] = (uint8_t)(v >> 8);
        a[n++] = (uint8_t)v;
        if (*s == '\0') break;
        if (*s++ != ':') return 0;
        if (*s == ':') {
            if (gap >= 0) return 0;
            gap = (int)n;
            s++;
        } else if (*s == '\0') {
            return 0; /* a trailing single ':' */
        }
    }
    if (gap >= 0) {
        size_t tail = n - (size_t)gap;
        if (n == 16) return 0; /* "::" must stand for at least one group */
        memmove(a + 16 - tail, a + gap, tail);
        memset(a + gap, 0, 16 - (size_t)gap - tail);
    } else if (n != 16) {
        return 0;
    }
    memcpy(dst, a, 16);
    return 1;
}

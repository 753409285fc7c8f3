/*
 * Test shim (LD_PRELOAD) for the POSIX port's name tests: a getaddrinfo() that takes as
 * long as the test wants. A name ending in ".slow" ("localhost.slow") waits until the
 * file named by $MZMTP_SLOW_GAI_RELEASE exists (at most 30 s), then resolves as the name
 * without the suffix. Other names, numeric-only calls (AI_NUMERICHOST: no lookup, no wait)
 * and every other function go to the C library untouched.
 * Built as a shared library for tests/interop/test_names.py; never linked into anything.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    gai_fn real = (gai_fn)dlsym(RTLD_NEXT, "getaddrinfo");
    if (real == NULL) return EAI_FAIL;
    size_t len = node != NULL ? strlen(node) : 0;
    char name[256];
    bool numeric_only = hints != NULL && (hints->ai_flags & AI_NUMERICHOST) != 0; /* no lookup */
    if (numeric_only || len <= 5 || len >= sizeof name || strcmp(node + len - 5, ".slow") != 0) {
        return real(node, service, hints, res);
    }
    const char *release = getenv("MZMTP_SLOW_GAI_RELEASE");
    for (int i = 0; i < 3000 && release != NULL && access(release, F_OK) != 0; i++) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    memcpy(name, node, len - 5);
    name[len - 5] = '\0';
    return real(name, service, hints, res);
}

/* Secret hygiene helpers (mzmtp_security.h) that need no crypto library. */
#include "microzmtp/mzmtp_security.h"

const char *mzmtp_mechanism_str(mzmtp_mechanism_t mech)
{
    switch (mech) {
    case MZMTP_MECH_PLAIN: return "PLAIN";
    case MZMTP_MECH_CURVE: return "CURVE";
    default: return "NULL";
    }
}

bool mzmtp_secure_equal(const void *a, const void *b, size_t len)
{
    /* Constant time: every byte is looked at whatever the first difference. */
    const volatile uint8_t *x = a, *y = b;
    uint8_t d = 0;
    for (size_t i = 0; i < len; i++) d = (uint8_t)(d | (x[i] ^ y[i]));
    return d == 0;
}

void mzmtp_secure_wipe(void *p, size_t len)
{
    /* Stores through a volatile pointer are not removed as dead by the compiler. */
    volatile uint8_t *q = p;
    for (size_t i = 0; i < len; i++) q[i] = 0;
}

/*
 * libFuzzer target: Z85 decode (RFC 32) of any text. Whatever decodes must encode back to
 * exactly the same text (the alphabet is a bijection on groups up to 2^32 - 1), and
 * nothing may read past the input or write past the output.
 */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "microzmtp/microzmtp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4000) return 0;
    char *text = malloc(size ? size : 1); /* exactly its size: ASan sees any over-read */
    uint8_t *raw = malloc(size / 5 * 4 + 1);
    char *back = malloc(size + 1);
    if (text == NULL || raw == NULL || back == NULL) abort();
    memcpy(text, data, size);
    mzmtp_status_t st = mzmtp_z85_decode(raw, size / 5 * 4, text, size);
    if (st == MZMTP_OK) {
        if (mzmtp_z85_encode(back, size + 1, raw, size / 5 * 4) != MZMTP_OK) abort();
        if (memcmp(back, text, size) != 0 || back[size] != '\0') abort();
    } else if (st != MZMTP_ERR_INVALID) {
        abort();
    }
    free(text);
    free(raw);
    free(back);
    return 0;
}

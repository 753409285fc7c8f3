/*
 * min_pub.c - the smallest honest PUB program: one socket in static memory, one peer
 * attached through the port interface (stub_link.c), and a loop that publishes a
 * two-frame message (topic, 4-byte reading): min_pub_loop.h. Linked only to be measured.
 */
#include "min_pub_loop.h"

MZMTP_SOCKET_MEM_DEFINE(pub_mem, 512, 128);
static mzmtp_socket_t pub;

int main(void)
{
    if (mzmtp_socket_init(&pub, MZMTP_PUB, &pub_mem) != MZMTP_OK) {
        return 1;
    }
    publish_forever(&pub);
}

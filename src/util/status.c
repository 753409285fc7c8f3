/* Status names, for logs and tools. */
#include "microzmtp/mzmtp_status.h"

const char *mzmtp_status_str(mzmtp_status_t s)
{
    switch (s) {
    case MZMTP_OK: return "MZMTP_OK";
    case MZMTP_AGAIN: return "MZMTP_AGAIN";
    case MZMTP_ERR_INVALID: return "MZMTP_ERR_INVALID";
    case MZMTP_ERR_STATE: return "MZMTP_ERR_STATE";
    case MZMTP_ERR_NOT_SUPPORTED: return "MZMTP_ERR_NOT_SUPPORTED";
    case MZMTP_ERR_NO_MEMORY: return "MZMTP_ERR_NO_MEMORY";
    case MZMTP_ERR_LIMIT: return "MZMTP_ERR_LIMIT";
    case MZMTP_ERR_TRUNCATED: return "MZMTP_ERR_TRUNCATED";
    case MZMTP_ERR_UNROUTABLE: return "MZMTP_ERR_UNROUTABLE";
    case MZMTP_ERR_PROTOCOL: return "MZMTP_ERR_PROTOCOL";
    case MZMTP_ERR_VERSION: return "MZMTP_ERR_VERSION";
    case MZMTP_ERR_MECHANISM: return "MZMTP_ERR_MECHANISM";
    case MZMTP_ERR_SOCKET_TYPE: return "MZMTP_ERR_SOCKET_TYPE";
    case MZMTP_ERR_PEER_ERROR: return "MZMTP_ERR_PEER_ERROR";
    case MZMTP_ERR_MSG_SIZE: return "MZMTP_ERR_MSG_SIZE";
    case MZMTP_ERR_TIMEOUT: return "MZMTP_ERR_TIMEOUT";
    case MZMTP_ERR_CLOSED: return "MZMTP_ERR_CLOSED";
    case MZMTP_ERR_AUTH: return "MZMTP_ERR_AUTH";
    case MZMTP_ERR_CRYPTO: return "MZMTP_ERR_CRYPTO";
    case MZMTP_ERR_PEER_LIMIT: return "MZMTP_ERR_PEER_LIMIT";
    }
    return "MZMTP_ERR_UNKNOWN";
}

bool mzmtp_status_allows_reconnect(mzmtp_status_t s)
{
    switch (s) {
    case MZMTP_ERR_PROTOCOL:
    case MZMTP_ERR_VERSION:
    case MZMTP_ERR_MECHANISM:
    case MZMTP_ERR_SOCKET_TYPE:
    case MZMTP_ERR_PEER_ERROR:
    case MZMTP_ERR_MSG_SIZE:
    case MZMTP_ERR_AUTH:
    case MZMTP_ERR_CRYPTO:
        return false;
    default:
        return true;
    }
}

/*
 * ram_probe.c - never run, never linked. Compiled for Cortex-M3, each object below gets a
 * symbol whose size (arm-none-eabi-nm -S) is exactly sizeof its type as the target ABI
 * lays it out. report.sh reads those sizes; nothing has to execute on the target.
 */
#include "microzmtp/microzmtp.h"

mzmtp_socket_t mzmtp_size_probe_socket;
mzmtp_conn_t mzmtp_size_probe_conn;
mzmtp_outq_t mzmtp_size_probe_outq;

# The one list of microzmtp's source files, by group. Every build reads it: CMakeLists.txt,
# ports/contiki-ng/Makefile.contiki-ng, bench/size (Makefile, per_type.sh), bench/mcu,
# firmware/mps2-an385, tests/target and tests/lwip/host. Paths are relative to the
# repository root. A new file goes into exactly one group here, and only the builds that
# take that group compile it. (CMake reads the `NAME := files` lines of this file; keep
# each group on one line.)

# The protocol core: codec, engine, mechanisms NULL and PLAIN, sockets, helpers.
MZMTP_SRC_CORE := src/wire/wire.c src/util/bytes.c src/util/status.c src/util/z85.c src/util/subtrie.c src/util/idmap.c src/conn/conn.c src/mech/mech.c src/mech/plain.c src/mech/secure.c src/socket/outq.c src/socket/socket.c src/socket/timerq.c src/socket/socket_lb.c src/socket/socket_pubsub.c src/socket/socket_reqrep.c src/socket/socket_router.c src/socket/socket_pair.c src/socket/socket_sec.c
# CURVE after its handshake: MESSAGE boxing and opening (needs MZMTP_CONF_CURVE=1).
MZMTP_SRC_MECH_CURVE_MSG := src/mech/curve_msg.c
# The crypto interface's libsodium backend (for CURVE; needs libsodium's headers).
MZMTP_SRC_CRYPTO_SODIUM := src/crypto/crypto_sodium.c
# The CURVE mechanism's handshake and key pair helpers (MZMTP_CONF_CURVE=1; with a crypto
# backend such as MZMTP_SRC_CRYPTO_SODIUM).
MZMTP_SRC_MECH_CURVE := src/mech/curve.c
# The port kit: what every port decides the same way (endpoints, reconnects, linger, dead
# peers, readiness, the input stage), sans-I/O. Every port's build takes it with the port.
MZMTP_SRC_PORT_KIT := ports/kit/mzmtp_kit.c
# The ports (each also needs MZMTP_SRC_PORT_KIT).
MZMTP_SRC_PORT_POSIX := ports/posix/mzmtp_posix.c
MZMTP_SRC_PORT_CONTIKI := ports/contiki-ng/mzmtp-contiki.c
MZMTP_SRC_PORT_LWIP := ports/lwip/mzmtp_lwip.c ports/lwip/mzmtp_lwip_ep.c

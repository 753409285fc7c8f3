/*
 * microzmtp CURVE node (RFC 25/26): the node is a CURVE server and a CURVE client.
 *
 *  - PUB, CURVE server, binds port 5580: subscribers must know the node's public key
 *    (printed at start as "curve-node server-key <Z85>") and any client key is accepted
 *    (no authenticator installed: libzmq's behaviour without ZAP). "pub <n>" publishes
 *    n messages "c<k>";
 *  - REQs, CURVE clients: "client <server public key, Z85> <endpoint>" takes the next
 *    free REQ (two), gives it that server key and the node's own client key pair and
 *    connects; "ask <n>" then sends n requests "q<k>" over the last one, each once the
 *    previous reply is in, and prints "reply q<k> <reply>" for each.
 *
 * The node's client key pair is made at start from the port's random source
 * (mzmtp_contiki_random: getrandom() on native, Contiki-NG's CSPRNG on chips) and its
 * public half printed as "curve-node client-key <Z85>", for a server's allow list. The
 * server's secret key below is an example's: it is public in this repository, so any
 * real node must be given its own (CURVE_NODE_SERVER_SECRET, or better, provisioned
 * storage: docs/security.md, "Keys on a device").
 *
 * Commands on the serial line (stdin on TARGET=native), one per line:
 *   pub <n> / client <key> <endpoint> / ask <n> / stats
 * tests/contiki-ng/check.py (mode curve) drives it against pyzmq.
 */
#include "contiki.h"
#include "dev/serial-line.h"
#include "mzmtp-contiki.h"

#include <stdio.h>
#include <string.h>
#include "../common/example-socket.h"

#ifndef CURVE_NODE_PUB_BIND
#define CURVE_NODE_PUB_BIND "tcp://[::]:5580"
#endif
#ifndef CURVE_NODE_SERVER_SECRET /* the example's key, Z85: replace it on a real node */
#define CURVE_NODE_SERVER_SECRET "@oF9e)=ce>/#C^H}m%AAd<n&wve!]v9948H)I(E&"
#endif
#define KEY_Z85 40u
#define N_REQ 2
#define TEXT_MAX 64

static mzmtp_socket_t pub;
static mzmtp_socket_t req[N_REQ];
/* Receive buffer per peer: a CURVE INITIATE (257 bytes + metadata) must fit. */
MZMTP_SOCKET_MEM_DEFINE(pub_mem, 512, 384);
MZMTP_SOCKET_MEM_DEFINE(req_mem0, 256, 256); /* a WELCOME is 168 bytes */
MZMTP_SOCKET_MEM_DEFINE(req_mem1, 256, 256);
static const mzmtp_socket_mem_t *const req_mem[N_REQ] = {&req_mem0, &req_mem1};

static uint8_t client_public[32], client_secret[32];
static int reqs_used; /* REQs given a server so far; the last one is asked */
static unsigned long published, asked, answered, left;
static bool waiting;
static char question[24];

PROCESS(curve_node_process, "microzmtp CURVE node");
AUTOSTART_PROCESSES(&curve_node_process);
/*---------------------------------------------------------------------------*/
static void
print_key(const char *what, const uint8_t key[32])
{
  char z85[KEY_Z85 + 1];
  if(mzmtp_z85_encode(z85, sizeof(z85), key, 32) == MZMTP_OK) {
    printf("curve-node %s %s\n", what, z85);
  }
}
/*---------------------------------------------------------------------------*/
/* The last REQ given a server: one request, its reply, the next request (RFC 28). */
static void
req_pump(void)
{
  static char text[TEXT_MAX];
  mzmtp_socket_t *s;
  if(reqs_used == 0) {
    return;
  }
  s = &req[reqs_used - 1];
  for(;;) {
    if(waiting) {
      size_t n = 0;
      unsigned flags = 0;
      mzmtp_status_t st = mzmtp_contiki_recv(s, text, sizeof(text) - 1, &n, &flags);
      if(st == MZMTP_AGAIN) {
        return;
      }
      if(st != MZMTP_OK) {
        printf("req recv %s\n", mzmtp_status_str(st));
        return;
      }
      text[n] = '\0';
      printf("reply %s %s\n", question, text);
      waiting = false;
      answered++;
    }
    if(left == 0) {
      return;
    }
    size_t n = label(question, "q", asked);
    mzmtp_status_t st = mzmtp_contiki_send(s, question, n, false);
    if(st == MZMTP_AGAIN) {
      return; /* the handshake is not done yet: POLLOUT will come */
    }
    if(st != MZMTP_OK) {
      printf("req send %s\n", mzmtp_status_str(st));
      left = 0;
      return;
    }
    asked++;
    left--;
    waiting = true;
  }
}
/*---------------------------------------------------------------------------*/
/* "client <key> <endpoint>": the next REQ, a CURVE client of that server. */
static void
client(const char *args)
{
  static const char *const names[N_REQ] = {"req0", "req1"};
  uint8_t server_key[32];
  mzmtp_status_t st;
  mzmtp_socket_t *s;
  if(reqs_used == N_REQ) {
    printf("client MZMTP_ERR_LIMIT\n");
    return;
  }
  if(strlen(args) < KEY_Z85 + 2 || args[KEY_Z85] != ' ' ||
     mzmtp_z85_decode(server_key, sizeof(server_key), args, KEY_Z85) != MZMTP_OK) {
    printf("client: expected <40-character Z85 key> <endpoint>\n");
    return;
  }
  s = &req[reqs_used];
  st = example_open(s, MZMTP_REQ, req_mem[reqs_used], example_monitor, names[reqs_used],
                    &curve_node_process);
  if(st == MZMTP_OK) {
    st = mzmtp_socket_setopt(s, MZMTP_OPT_CURVE_SECRETKEY, client_secret, 32);
  }
  if(st == MZMTP_OK) {
    st = mzmtp_socket_setopt(s, MZMTP_OPT_CURVE_PUBLICKEY, client_public, 32);
  }
  if(st == MZMTP_OK) {
    st = mzmtp_socket_setopt(s, MZMTP_OPT_CURVE_SERVERKEY, server_key, 32);
  }
  if(st == MZMTP_OK) {
    st = mzmtp_contiki_connect(s, args + KEY_Z85 + 1);
  }
  reqs_used++;
  left = 0;
  waiting = false;
  printf("client %s %s %s\n", names[reqs_used - 1], args + KEY_Z85 + 1, mzmtp_status_str(st));
}
/*---------------------------------------------------------------------------*/
static void
command(const char *line)
{
  if(strncmp(line, "pub ", 4) == 0) {
    example_send_numbered(&pub, "pub", "c", &published, number(line + 4));
  } else if(strncmp(line, "client ", 7) == 0) {
    client(line + 7);
  } else if(strncmp(line, "ask ", 4) == 0) {
    left += number(line + 4);
    req_pump();
  } else if(strcmp(line, "stats") == 0) {
    printf("stats published=%lu asked=%lu answered=%lu waiting=%d pub_peers=%u "
           "sub_peers=%u\n", published, asked, answered, waiting,
           mzmtp_socket_peer_count(&pub), mzmtp_socket_sub_peer_count(&pub));
  } else if(line[0] != '\0') {
    printf("unknown command: %s\n", line);
  }
}
/*---------------------------------------------------------------------------*/
PROCESS_THREAD(curve_node_process, ev, data)
{
  static mzmtp_status_t st;
  static const uint32_t one = 1;
  static uint8_t secret[32];
  static uint8_t server_public[32];

  PROCESS_BEGIN();

  mzmtp_contiki_init();
  st = mzmtp_z85_decode(secret, sizeof(secret), CURVE_NODE_SERVER_SECRET, KEY_Z85);
  if(st == MZMTP_OK) {
    st = mzmtp_curve_public(server_public, secret);
  }
  if(st == MZMTP_OK) {
    st = mzmtp_curve_keypair(client_public, client_secret, mzmtp_contiki_random, NULL);
  }
  if(st == MZMTP_OK) {
    st = example_open(&pub, MZMTP_PUB, &pub_mem, example_monitor, "pub", &curve_node_process);
  }
  if(st == MZMTP_OK) {
    st = mzmtp_socket_setopt(&pub, MZMTP_OPT_CURVE_SECRETKEY, secret, sizeof(secret));
  }
  if(st == MZMTP_OK) {
    st = mzmtp_socket_setopt(&pub, MZMTP_OPT_CURVE_SERVER, &one, sizeof(one));
  }
  mzmtp_secure_wipe(secret, sizeof(secret)); /* the socket keeps its own copy */
  if(st == MZMTP_OK) {
    uint16_t port = 0;
    st = mzmtp_contiki_bind(&pub, CURVE_NODE_PUB_BIND, &port);
    printf("pub bind %s port=%u %s\n", CURVE_NODE_PUB_BIND, port, mzmtp_status_str(st));
  }
  if(st != MZMTP_OK) {
    printf("setup %s\n", mzmtp_status_str(st));
    PROCESS_EXIT();
  }
  print_key("server-key", server_public);
  print_key("client-key", client_public);
  printf("curve-node ready\n");

  while(1) {
    PROCESS_WAIT_EVENT();
    if(ev == mzmtp_contiki_event) {
      req_pump();
    } else if(ev == serial_line_event_message) {
      command((const char *)data);
    }
  }
  PROCESS_END();
}
/*---------------------------------------------------------------------------*/

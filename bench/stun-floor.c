/* stun-floor.c: the least a UDP STUN server can do per Binding answer
 *
 * Not a server: a yardstick for stun-bench.  One blocking IPv4 socket,
 * recvmmsg(2) of up to 64 datagrams, each answered (a Binding success
 * response with XOR-MAPPED-ADDRESS, RFC 8489 §14.2; nothing checked but
 * the length) and the answers sent with one sendmmsg(2): no epoll, no
 * parsing, no counters, no threads.  Its CPU per answer is what the
 * kernel charges for one datagram in and one out; run in nav-server's
 * place, it says how far above that nav-server is:
 *
 *   build/bench/stun-bench --threads=1 --before=build/bench/stun-floor
 *
 * It takes nav-server's --listening-ip=IPV4 and --listening-port=N (and
 * ignores the rest); SIGTERM ends it.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#define BATCH 64
#define ANSWER_SIZE 32  /* header, XOR-MAPPED-ADDRESS of an IPv4 address */

int
main (int    argc,
      char **argv)
{
  static uint8_t in[BATCH][2048], out[BATCH][ANSWER_SIZE];
  static struct sockaddr_in from[BATCH];
  struct mmsghdr rx[BATCH], tx[BATCH];
  struct iovec rx_iov[BATCH], tx_iov[BATCH];
  struct sockaddr_in local = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  int size = 4 << 20;
  int fd;

  for (int i = 1; i < argc; i++)
    if (strncmp (argv[i], "--listening-port=", 17) == 0)
      local.sin_port = htons ((uint16_t) atoi (argv[i] + 17));
    else if (strncmp (argv[i], "--listening-ip=", 15) == 0 &&
             inet_pton (AF_INET, argv[i] + 15, &local.sin_addr) != 1)
      return 2;
  fd = socket (AF_INET, SOCK_DGRAM, 0);
  /* the buffer sizes nav-server asks for */
  setsockopt (fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  setsockopt (fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
  if (fd < 0 || bind (fd, (struct sockaddr *) &local, sizeof local) < 0)
    return 1;

  for (;;)
    {
      int n, m = 0;

      for (int i = 0; i < BATCH; i++)
        {
          memset (&rx[i], 0, sizeof rx[i]);
          rx_iov[i].iov_base = in[i];
          rx_iov[i].iov_len = sizeof in[i];
          rx[i].msg_hdr.msg_iov = &rx_iov[i];
          rx[i].msg_hdr.msg_iovlen = 1;
          rx[i].msg_hdr.msg_name = &from[i];
          rx[i].msg_hdr.msg_namelen = sizeof from[i];
        }
      n = recvmmsg (fd, rx, BATCH, MSG_WAITFORONE, NULL);
      for (int i = 0; i < n; i++)
        {
          uint8_t *o = out[m];
          uint16_t port;
          uint32_t ip;

          if (rx[i].msg_len < 20 || from[i].sin_family != AF_INET)
            continue;
          /* Binding success, 12 bytes of attributes, the request's
           * cookie and transaction ID */
          o[0] = 0x01;
          o[1] = 0x01;
          o[2] = 0;
          o[3] = ANSWER_SIZE - 20;
          memcpy (o + 4, in[i] + 4, 16);
          o[20] = 0x00;
          o[21] = 0x20;
          o[22] = 0;
          o[23] = 8;
          o[24] = 0;
          o[25] = 0x01;
          port = ntohs (from[i].sin_port) ^ 0x2112;
          ip = ntohl (from[i].sin_addr.s_addr) ^ 0x2112A442;
          o[26] = (uint8_t) (port >> 8);
          o[27] = (uint8_t) port;
          o[28] = (uint8_t) (ip >> 24);
          o[29] = (uint8_t) (ip >> 16);
          o[30] = (uint8_t) (ip >> 8);
          o[31] = (uint8_t) ip;
          memset (&tx[m], 0, sizeof tx[m]);
          tx_iov[m].iov_base = o;
          tx_iov[m].iov_len = ANSWER_SIZE;
          tx[m].msg_hdr.msg_iov = &tx_iov[m];
          tx[m].msg_hdr.msg_iovlen = 1;
          tx[m].msg_hdr.msg_name = &from[i];
          tx[m].msg_hdr.msg_namelen = sizeof from[i];
          m++;
        }
      for (int sent = 0; sent < m;)
        {
          int r = sendmmsg (fd, tx + sent, m - sent, 0);

          sent += r > 0 ? r : 1;        /* skip what the kernel refused */
        }
    }
}

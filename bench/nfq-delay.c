/* nfq-delay: delay every packet of an NFQUEUE queue by a fixed time.
 *
 * The kernel of the lab machines has no sch_netem.  tests/netns/nfqdelay.py
 * does this in Python, which is fine for the signalling of a test but
 * holds up a bulk transfer (hundreds of thousands of packets a second):
 * this is the same thing in C, for bench/share-bench --lab.
 *
 * The rules of the namespace queue the packets (raw table, before
 * conntrack), e.g.
 *
 *   iptables-legacy -t raw -A PREROUTING -i veth0 -j NFQUEUE --queue-num 0
 *   iptables-legacy -t raw -A OUTPUT -o veth0 -j NFQUEUE --queue-num 0
 *   nfq-delay --queue 0 --delay 10
 *
 * Each packet is given back (NF_ACCEPT) DELAY ms after it was queued.
 * Packet ids grow in the order the kernel queued them and every packet
 * waits the same time, so the packets due at one moment are released by a
 * single batch verdict (NFQNL_MSG_VERDICT_BATCH accepts every id up to
 * the one given): a link does not reorder.  Only the packet ids travel
 * (NFQNL_COPY_META), and GSO packets are queued whole (NFQA_CFG_F_GSO),
 * as a veth pair passes them.  Fail-open: a packet that finds the queue
 * full is accepted at once rather than dropped.
 *
 * Prints "bound" once the queue is ours; runs until killed.  Raw
 * nfnetlink (linux/netfilter/nfnetlink_queue.h), no library: built by
 * bench/share-bench with `cc -O2`.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define QUEUE_MAXLEN 200000
#define RING (1u << 20)

typedef struct {
  int64_t due;    /* monotonic ns */
  uint32_t id;
} Held;

static int sock = -1;
static uint16_t queue_num;
static uint32_t seq;

static int64_t
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t
put_attr (char *buf, size_t off, uint16_t type, const void *data, uint16_t len)
{
  struct nlattr *a = (struct nlattr *) (buf + off);
  a->nla_len = NLA_HDRLEN + len;
  a->nla_type = type;
  memcpy (buf + off + NLA_HDRLEN, data, len);
  memset (buf + off + NLA_HDRLEN + len, 0, NLA_ALIGN (len) - len);
  return off + NLA_HDRLEN + NLA_ALIGN (len);
}

/* Builds an nfqueue message around attrs; returns its length. */
static size_t
message (char *buf, uint16_t type, uint16_t flags, const char *attrs, size_t attrs_len)
{
  struct nlmsghdr *h = (struct nlmsghdr *) buf;
  struct nfgenmsg *g = (struct nfgenmsg *) (buf + NLMSG_HDRLEN);

  h->nlmsg_len = NLMSG_HDRLEN + NLMSG_ALIGN (sizeof *g) + attrs_len;
  h->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
  h->nlmsg_flags = flags;
  h->nlmsg_seq = ++seq;
  h->nlmsg_pid = 0;
  g->nfgen_family = AF_UNSPEC;
  g->version = NFNETLINK_V0;
  g->res_id = htons (queue_num);
  memcpy (buf + NLMSG_HDRLEN + NLMSG_ALIGN (sizeof *g), attrs, attrs_len);
  return h->nlmsg_len;
}

static void
config (const char *attrs, size_t len, const char *what)
{
  char buf[512];
  char reply[4096];
  size_t n = message (buf, NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, attrs, len);
  ssize_t r;

  if (send (sock, buf, n, 0) < 0)
    {
      perror ("nfq-delay: send");
      exit (1);
    }
  r = recv (sock, reply, sizeof reply, 0);
  if (r >= (ssize_t) (NLMSG_HDRLEN + sizeof (int)))
    {
      struct nlmsghdr *h = (struct nlmsghdr *) reply;
      if (h->nlmsg_type == NLMSG_ERROR)
        {
          int err = ((struct nlmsgerr *) NLMSG_DATA (h))->error;
          if (err != 0)
            {
              fprintf (stderr, "nfq-delay: %s: %s\n", what, strerror (-err));
              exit (1);
            }
        }
    }
}

static void
verdict_upto (uint32_t id)
{
  char attrs[64];
  char buf[128];
  struct nfqnl_msg_verdict_hdr v = { htonl (NF_ACCEPT), htonl (id) };
  size_t len = put_attr (attrs, 0, NFQA_VERDICT_HDR, &v, sizeof v);
  size_t n = message (buf, NFQNL_MSG_VERDICT_BATCH, NLM_F_REQUEST, attrs, len);

  while (send (sock, buf, n, 0) < 0 && errno == EINTR)
    ;
}

int
main (int argc, char **argv)
{
  double delay_ms = 0;
  char attrs[256];
  size_t len;
  static char rbuf[1 << 20];
  Held *held;
  uint32_t head = 0, tail = 0;
  int64_t delay;
  int one = 1;
  int rcvbuf = 64 << 20;
  struct sockaddr_nl sa = { .nl_family = AF_NETLINK };

  for (int i = 1; i + 1 < argc; i += 2)
    {
      if (strcmp (argv[i], "--queue") == 0)
        queue_num = atoi (argv[i + 1]);
      else if (strcmp (argv[i], "--delay") == 0)
        delay_ms = atof (argv[i + 1]);
      else
        {
          fprintf (stderr, "usage: nfq-delay [--queue N] [--delay MS]\n");
          return 2;
        }
    }
  delay = (int64_t) (delay_ms * 1e6);
  held = calloc (RING, sizeof *held);

  sock = socket (AF_NETLINK, SOCK_RAW, NETLINK_NETFILTER);
  if (sock < 0 || bind (sock, (struct sockaddr *) &sa, sizeof sa) < 0)
    {
      perror ("nfq-delay: netlink");
      return 1;
    }
  if (setsockopt (sock, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
    setsockopt (sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  /* Falling behind must not stop the loop: the kernel then accepts
   * (fail-open) or drops what did not fit; we carry on. */
  setsockopt (sock, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);

  {
    struct nfqnl_msg_config_cmd cmd = { NFQNL_CFG_CMD_BIND, 0, htons (AF_INET) };
    len = put_attr (attrs, 0, NFQA_CFG_CMD, &cmd, sizeof cmd);
    config (attrs, len, "bind");
  }
  {
    struct nfqnl_msg_config_params p = { htonl (0), NFQNL_COPY_META };
    uint32_t maxlen = htonl (QUEUE_MAXLEN);
    uint32_t flags = htonl (NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO);
    len = put_attr (attrs, 0, NFQA_CFG_PARAMS, &p, sizeof p);
    len = put_attr (attrs, len, NFQA_CFG_QUEUE_MAXLEN, &maxlen, sizeof maxlen);
    len = put_attr (attrs, len, NFQA_CFG_MASK, &flags, sizeof flags);
    len = put_attr (attrs, len, NFQA_CFG_FLAGS, &flags, sizeof flags);
    config (attrs, len, "params");
  }
  printf ("bound\n");
  fflush (stdout);

  for (;;)
    {
      int64_t now = now_ns ();
      struct pollfd pfd = { sock, POLLIN, 0 };
      struct timespec wait, *wp = NULL;
      uint32_t due_id = 0;
      int due = 0;

      while (head != tail && held[head % RING].due <= now)
        {
          due_id = held[head % RING].id;
          due = 1;
          head++;
        }
      if (due)
        verdict_upto (due_id);
      if (head != tail)
        {
          int64_t d = held[head % RING].due - now;
          wait.tv_sec = d / 1000000000;
          wait.tv_nsec = d % 1000000000;
          wp = &wait;
        }
      if (ppoll (&pfd, 1, wp, NULL) <= 0)
        continue;

      /* Every message waiting now. */
      for (;;)
        {
          ssize_t r = recv (sock, rbuf, sizeof rbuf, MSG_DONTWAIT);
          int64_t t;
          struct nlmsghdr *h;
          int left;

          if (r < 0)
            break;
          t = now_ns () + delay;
          left = (int) r;
          for (h = (struct nlmsghdr *) rbuf; NLMSG_OK (h, left); h = NLMSG_NEXT (h, left))
            {
              struct nlattr *a;
              int alen;

              if (h->nlmsg_type != ((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET))
                continue;
              a = (struct nlattr *) ((char *) NLMSG_DATA (h) + NLMSG_ALIGN (sizeof (struct nfgenmsg)));
              alen = h->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN (sizeof (struct nfgenmsg));
              while (alen >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= alen)
                {
                  if ((a->nla_type & NLA_TYPE_MASK) == NFQA_PACKET_HDR)
                    {
                      struct nfqnl_msg_packet_hdr *ph = (void *) ((char *) a + NLA_HDRLEN);
                      if (tail - head < RING)
                        {
                          held[tail % RING].due = t;
                          held[tail % RING].id = ntohl (ph->packet_id);
                          tail++;
                        }
                      else
                        verdict_upto (ntohl (ph->packet_id)); /* cannot hold more: let it go */
                      break;
                    }
                  alen -= NLA_ALIGN (a->nla_len);
                  a = (struct nlattr *) ((char *) a + NLA_ALIGN (a->nla_len));
                }
            }
        }
    }
  return 0;
}

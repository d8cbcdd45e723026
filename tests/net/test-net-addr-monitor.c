/* test-net-addr-monitor.c: the rtnetlink address parser, with garbage,
 * and the monitor on a real socket in a network namespace of its own
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "nav-net-addr-monitor.h"

/* ------------------------------------------------------------ building */

/* Appends a message header; returns its offset (for end_message()). */
static gsize
begin_message (GByteArray *b,
               guint16     type)
{
  struct nlmsghdr nh = { .nlmsg_type = type, .nlmsg_flags = 0, .nlmsg_seq = 1 };
  gsize at = b->len;

  g_byte_array_append (b, (const guint8 *) &nh, sizeof nh);
  return at;
}

static void
pad (GByteArray *b)
{
  static const guint8 zeros[4] = { 0 };

  if (b->len % 4 != 0)
    g_byte_array_append (b, zeros, 4 - b->len % 4);
}

static void
end_message (GByteArray *b,
             gsize       at)
{
  guint32 len = (guint32) (b->len - at);

  memcpy (b->data + at + G_STRUCT_OFFSET (struct nlmsghdr, nlmsg_len), &len, sizeof len);
  pad (b);
}

static void
add_attr (GByteArray  *b,
          guint16      type,
          const void  *data,
          gsize        size)
{
  struct rtattr rta = { .rta_len = (unsigned short) RTA_LENGTH (size), .rta_type = type };

  g_byte_array_append (b, (const guint8 *) &rta, sizeof rta);
  g_byte_array_append (b, data, (guint) size);
  pad (b);
}

static void
add_address (GByteArray  *b,
             guint16      type,
             int          family,
             guint32      ifindex,
             const gchar *local,
             const gchar *peer)
{
  struct ifaddrmsg ifa = { .ifa_family = (unsigned char) family, .ifa_prefixlen = 24,
                           .ifa_index = ifindex, .ifa_scope = RT_SCOPE_UNIVERSE };
  guint8 bytes[16];
  gsize size = family == AF_INET ? 4 : 16;
  gsize at = begin_message (b, type);

  g_byte_array_append (b, (const guint8 *) &ifa, sizeof ifa);
  if (peer != NULL)
    {
      g_assert_cmpint (inet_pton (family, peer, bytes), ==, 1);
      add_attr (b, IFA_ADDRESS, bytes, size);
    }
  if (local != NULL)
    {
      g_assert_cmpint (inet_pton (family, local, bytes), ==, 1);
      add_attr (b, IFA_LOCAL, bytes, size);
    }
  end_message (b, at);
}

static void
add_link (GByteArray *b,
          guint16     type,
          int         ifindex,
          guint       flags)
{
  struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = ifindex, .ifi_flags = flags };
  gsize at = begin_message (b, type);

  g_byte_array_append (b, (const guint8 *) &ifi, sizeof ifi);
  add_attr (b, IFLA_IFNAME, "eth9", 5);
  end_message (b, at);
}

/* ------------------------------------------------------------ collecting */

typedef struct
{
  GArray *events;   /* NavNetAddrEvent */
} Collect;

static void
collect (const NavNetAddrEvent *event,
         gpointer               user_data)
{
  GArray *events = user_data;

  /* What the parser promises of every event, whatever the input. */
  switch (event->kind)
    {
    case NAV_NET_ADDR_EVENT_ADDED:
    case NAV_NET_ADDR_EVENT_REMOVED:
      g_assert_true (event->family == AF_INET || event->family == AF_INET6);
      break;
    case NAV_NET_ADDR_EVENT_LINK:
      g_assert_cmpint (event->family, ==, AF_UNSPEC);
      g_assert_cmpuint (event->ifindex, >, 0);
      break;
    default:
      g_assert_not_reached ();
    }
  g_array_append_val (events, *event);
}

static gchar *
describe (const NavNetAddrEvent *e)
{
  gchar text[64];

  switch (e->kind)
    {
    case NAV_NET_ADDR_EVENT_ADDED:
    case NAV_NET_ADDR_EVENT_REMOVED:
      return g_strdup_printf ("%s %s/%u if=%u flags=%x",
                              e->kind == NAV_NET_ADDR_EVENT_ADDED ? "add" : "del",
                              nav_net_addr_event_address_to_string (e, text, sizeof text),
                              e->prefix_length, e->ifindex, e->flags);
    case NAV_NET_ADDR_EVENT_LINK:
      return g_strdup_printf ("link if=%u up=%d removed=%d", e->ifindex,
                              (e->flags & IFF_UP) != 0, e->link_removed);
    default:
      return g_strdup ("overrun");
    }
}

static GByteArray *
valid_buffer (void)
{
  GByteArray *b = g_byte_array_new ();
  guint32 flags = 0x200;   /* IFA_F_NOPREFIXROUTE: above the 8 bits of ifa_flags */
  guint8 cacheinfo[16] = { 0 };
  gsize at;

  /* Point-to-point IPv4: IFA_LOCAL is ours, IFA_ADDRESS the peer. */
  add_address (b, RTM_NEWADDR, AF_INET, 2, "10.0.0.1", "10.0.0.9");
  /* IPv6 with IFA_FLAGS and IFA_CACHEINFO, attributes before the
   * address. */
  at = begin_message (b, RTM_DELADDR);
  {
    struct ifaddrmsg ifa = { .ifa_family = AF_INET6, .ifa_prefixlen = 64, .ifa_index = 3 };
    guint8 a6[16];

    g_byte_array_append (b, (const guint8 *) &ifa, sizeof ifa);
    add_attr (b, IFA_FLAGS, &flags, sizeof flags);
    add_attr (b, IFA_CACHEINFO, cacheinfo, sizeof cacheinfo);
    g_assert_cmpint (inet_pton (AF_INET6, "2001:db8::1", a6), ==, 1);
    add_attr (b, IFA_ADDRESS, a6, 16);
  }
  end_message (b, at);
  /* Not ours: a route, an address of another family, a done. */
  at = begin_message (b, RTM_NEWROUTE);
  g_byte_array_append (b, cacheinfo, 12);
  end_message (b, at);
  add_address (b, RTM_NEWADDR, AF_PACKET, 2, NULL, NULL);
  add_link (b, RTM_NEWLINK, 3, IFF_UP | IFF_RUNNING);
  add_address (b, RTM_NEWADDR, AF_INET, 4, NULL, "192.0.2.7");
  add_link (b, RTM_DELLINK, 4, 0);
  at = begin_message (b, NLMSG_DONE);
  g_byte_array_append (b, cacheinfo, 4);
  end_message (b, at);
  return b;
}

static const gchar *valid_expected[] = {
  "add 10.0.0.1/24 if=2 flags=0",
  "del 2001:db8::1/64 if=3 flags=200",
  "link if=3 up=1 removed=0",
  "add 192.0.2.7/24 if=4 flags=0",
  "link if=4 up=0 removed=1",
};

/* Parses @data[0..size) from a buffer of exactly that size (so that a
 * sanitizer catches any read past it), at @offset bytes of misalignment. */
static GArray *
parse_exact (const guint8 *data,
             gsize         size,
             gsize         offset)
{
  GArray *events = g_array_new (FALSE, TRUE, sizeof (NavNetAddrEvent));
  guint8 *copy = g_malloc (size + offset);
  guint count;

  if (size > 0)
    memcpy (copy + offset, data, size);
  count = nav_net_addr_parse (copy + offset, size, collect, events);
  g_assert_cmpuint (count, ==, events->len);
  g_free (copy);
  return events;
}

static void
test_parse_valid (void)
{
  g_autoptr (GByteArray) b = valid_buffer ();
  gsize offset;

  for (offset = 0; offset < 4; offset++)
    {
      g_autoptr (GArray) events = parse_exact (b->data, b->len, offset);
      guint i;

      g_assert_cmpuint (events->len, ==, G_N_ELEMENTS (valid_expected));
      for (i = 0; i < events->len; i++)
        {
          g_autofree gchar *text = describe (&g_array_index (events, NavNetAddrEvent, i));

          g_assert_cmpstr (text, ==, valid_expected[i]);
        }
    }
}

/* Every cut of a valid buffer: what parses is a prefix of the full
 * result, the same events. */
static void
test_parse_truncated (void)
{
  g_autoptr (GByteArray) b = valid_buffer ();
  gsize cut;

  for (cut = 0; cut <= b->len; cut++)
    {
      g_autoptr (GArray) events = parse_exact (b->data, cut, cut % 4);
      guint i;

      g_assert_cmpuint (events->len, <=, G_N_ELEMENTS (valid_expected));
      for (i = 0; i < events->len; i++)
        {
          g_autofree gchar *text = describe (&g_array_index (events, NavNetAddrEvent, i));

          g_assert_cmpstr (text, ==, valid_expected[i]);
        }
      if (cut == b->len)
        g_assert_cmpuint (events->len, ==, G_N_ELEMENTS (valid_expected));
    }
}

/* Lengths that lie, attributes of the wrong size. */
static void
test_parse_lying_lengths (void)
{
  g_autoptr (GByteArray) b = NULL;
  g_autoptr (GArray) events = NULL;
  guint32 huge = 0xffffffffu, small = 8;
  guint8 three[3] = { 10, 0, 0 };
  gsize at;
  struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_index = 1 };
  guint8 a4[4] = { 198, 51, 100, 1 };

  /* nlmsg_len larger than the buffer: nothing. */
  b = g_byte_array_new ();
  add_address (b, RTM_NEWADDR, AF_INET, 2, "10.0.0.1", NULL);
  memcpy (b->data, &huge, 4);
  events = parse_exact (b->data, b->len, 0);
  g_assert_cmpuint (events->len, ==, 0);
  g_clear_pointer (&events, g_array_unref);

  /* nlmsg_len smaller than its own header: the walk ends there. */
  memcpy (b->data, &small, 4);
  events = parse_exact (b->data, b->len, 0);
  g_assert_cmpuint (events->len, ==, 0);
  g_clear_pointer (&events, g_array_unref);
  g_clear_pointer (&b, g_byte_array_unref);

  /* A header only (no ifaddrmsg), then an address of 3 bytes, then an
   * IFA_LOCAL of the wrong size beside a good IFA_ADDRESS, then an
   * attribute whose length runs past its message. */
  b = g_byte_array_new ();
  at = begin_message (b, RTM_NEWADDR);
  end_message (b, at);
  at = begin_message (b, RTM_NEWADDR);
  g_byte_array_append (b, (const guint8 *) &ifa, sizeof ifa);
  add_attr (b, IFA_ADDRESS, three, sizeof three);
  end_message (b, at);
  at = begin_message (b, RTM_DELADDR);
  g_byte_array_append (b, (const guint8 *) &ifa, sizeof ifa);
  add_attr (b, IFA_LOCAL, three, sizeof three);
  add_attr (b, IFA_ADDRESS, a4, sizeof a4);
  end_message (b, at);
  at = begin_message (b, RTM_NEWADDR);
  g_byte_array_append (b, (const guint8 *) &ifa, sizeof ifa);
  {
    struct rtattr rta = { .rta_len = 200, .rta_type = IFA_LOCAL };

    g_byte_array_append (b, (const guint8 *) &rta, sizeof rta);
    g_byte_array_append (b, a4, sizeof a4);
  }
  end_message (b, at);
  /* A link message with a negative index. */
  add_link (b, RTM_NEWLINK, -5, IFF_UP);
  events = parse_exact (b->data, b->len, 1);
  g_assert_cmpuint (events->len, ==, 1);
  {
    g_autofree gchar *text = describe (&g_array_index (events, NavNetAddrEvent, 0));

    g_assert_cmpstr (text, ==, "del 198.51.100.1/0 if=1 flags=0");
  }
}

/* Random bytes, and random damage to a valid buffer: no crash, no read
 * outside the buffer, every event well-formed (collect() checks). */
static void
test_parse_garbage (void)
{
  g_autoptr (GByteArray) valid = valid_buffer ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261207);
  guint round, total = 0;

  for (round = 0; round < 20000; round++)
    {
      gsize size = (gsize) g_rand_int_range (rand, 0, 600);
      g_autofree guint8 *data = g_malloc (MAX (size, valid->len));
      g_autoptr (GArray) events = NULL;
      gsize i;

      if (round % 2 == 0)
        {
          for (i = 0; i < size; i++)
            data[i] = (guint8) g_rand_int (rand);
          /* Plausible headers now and then, so the walk gets past them. */
          if (size >= 16 && g_rand_boolean (rand))
            {
              guint32 len = (guint32) g_rand_int_range (rand, 0, (gint32) size + 8);
              guint16 type = (guint16) g_rand_int_range (rand, RTM_NEWLINK, RTM_DELADDR + 1);

              memcpy (data, &len, 4);
              memcpy (data + 4, &type, 2);
            }
        }
      else
        {
          guint flips = (guint) g_rand_int_range (rand, 1, 8);

          size = valid->len;
          memcpy (data, valid->data, size);
          while (flips-- > 0)
            data[g_rand_int_range (rand, 0, (gint32) size)] = (guint8) g_rand_int (rand);
          size = (gsize) g_rand_int_range (rand, 0, (gint32) size + 1);
        }
      events = parse_exact (data, size, round % 4);
      total += events->len;
    }
  /* The damaged valid buffers still give events: the parser is not
   * simply refusing everything. */
  g_assert_cmpuint (total, >, 1000);
}

static void
test_local_only (void)
{
  static const struct { int family; const gchar *text; gboolean local; } cases[] = {
    { AF_INET, "127.0.0.1", TRUE },
    { AF_INET, "127.3.2.1", TRUE },
    { AF_INET, "169.254.1.1", FALSE },
    { AF_INET, "100.64.3.2", FALSE },
    { AF_INET6, "::1", TRUE },
    { AF_INET6, "fe80::1", TRUE },
    { AF_INET6, "febf::1", TRUE },
    { AF_INET6, "fec0::1", FALSE },
    { AF_INET6, "2001:db8::1", FALSE },
    { AF_INET6, "fd00::1", FALSE },
  };
  guint i;

  for (i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      NavNetAddrEvent e = { .kind = NAV_NET_ADDR_EVENT_REMOVED, .family = cases[i].family };

      g_assert_cmpint (inet_pton (cases[i].family, cases[i].text, e.address), ==, 1);
      g_assert_cmpint (nav_net_addr_event_is_local_only (&e), ==, cases[i].local);
    }
}

/* ------------------------------------------------------------ live */

static void
record (const NavNetAddrEvent *event,
        gpointer               user_data)
{
  GPtrArray *seen = user_data;

  g_ptr_array_add (seen, describe (event));
}

static void
run (const gchar *command)
{
  g_autofree gchar *argv = g_strdup_printf ("%s >/dev/null 2>&1", command);

  g_assert_cmpint (system (argv), ==, 0);
}

/* Reads what the kernel queued: notifications of a command are queued
 * on the socket by the time the command returns (netlink multicast is
 * delivered synchronously), so nothing is waited for. */
static void
drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
contains (GPtrArray   *seen,
          const gchar *prefix)
{
  guint i;

  for (i = 0; i < seen->len; i++)
    if (g_str_has_prefix (g_ptr_array_index (seen, i), prefix))
      return TRUE;
  return FALSE;
}

static guint
count_prefix (GPtrArray   *seen,
              const gchar *prefix)
{
  guint i, n = 0;

  for (i = 0; i < seen->len; i++)
    n += g_str_has_prefix (g_ptr_array_index (seen, i), prefix);
  return n;
}

static void
live_subprocess (void)
{
  g_autoptr (GPtrArray) seen = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (NavNetAddrMonitor) monitor = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GString) batch = g_string_new (NULL);
  g_autofree gchar *batch_path = NULL;
  g_autofree gchar *lo_link = NULL;
  int fd, tiny = 1;
  guint i;

  /* A namespace of this process alone: lo only, nothing else moves. */
  g_assert_cmpint (unshare (CLONE_NEWNET), ==, 0);
  monitor = nav_net_addr_monitor_new (NULL, record, seen, &error);
  g_assert_no_error (error);

  run ("ip link set lo up");
  run ("ip addr add 10.99.0.1/32 dev lo");
  run ("ip -6 addr add 2001:db8:99::1/128 dev lo nodad");
  run ("ip addr del 10.99.0.1/32 dev lo");
  run ("ip -6 addr del 2001:db8:99::1/128 dev lo");
  drain ();
  for (i = 0; i < seen->len; i++)
    g_test_message ("event: %s", (const gchar *) g_ptr_array_index (seen, i));
  g_assert_true (contains (seen, "add 10.99.0.1/32 if=1"));
  g_assert_true (contains (seen, "add 2001:db8:99::1/128 if=1"));
  g_assert_true (contains (seen, "del 10.99.0.1/32 if=1"));
  g_assert_true (contains (seen, "del 2001:db8:99::1/128 if=1"));
  /* lo came up once. */
  lo_link = g_strdup ("link if=1 up=1");
  g_assert_cmpuint (count_prefix (seen, lo_link), ==, 1);
  g_assert_cmpuint (nav_net_addr_monitor_get_overruns (monitor), ==, 0);

  /* A link change that leaves IFF_UP alone is dropped; going down is
   * not. */
  g_ptr_array_set_size (seen, 0);
  run ("ip link set lo mtu 60000");
  run ("ip link set lo mtu 65536");
  drain ();
  g_assert_cmpuint (count_prefix (seen, "link "), ==, 0);
  run ("ip link set lo down");
  drain ();
  g_assert_cmpuint (count_prefix (seen, "link if=1 up=0"), ==, 1);
  run ("ip link set lo up");

  /* Overrun: the smallest receive buffer, 300 notifications unread. */
  fd = nav_net_addr_monitor_get_fd (monitor);
  g_assert_cmpint (setsockopt (fd, SOL_SOCKET, SO_RCVBUF, &tiny, sizeof tiny), ==, 0);
  for (i = 0; i < 300; i++)
    g_string_append_printf (batch, "addr add 10.98.%u.%u/32 dev lo\n", i / 250, i % 250 + 1);
  {
    int bfd = g_file_open_tmp ("nav-addr-XXXXXX", &batch_path, &error);

    g_assert_no_error (error);
    close (bfd);
  }
  g_assert_true (g_file_set_contents (batch_path, batch->str, -1, &error));
  g_ptr_array_set_size (seen, 0);
  {
    g_autofree gchar *command = g_strdup_printf ("ip -batch %s", batch_path);

    run (command);
  }
  g_unlink (batch_path);
  drain ();
  g_assert_cmpuint (nav_net_addr_monitor_get_overruns (monitor), >=, 1);
  g_assert_true (contains (seen, "overrun"));
  /* Fewer than 300: some were lost, as the overrun says. */
  g_assert_cmpuint (count_prefix (seen, "add 10.98."), <, 300);

  /* The socket goes on after ENOBUFS. */
  g_ptr_array_set_size (seen, 0);
  run ("ip addr del 10.98.0.1/32 dev lo");
  drain ();
  g_assert_true (contains (seen, "del 10.98.0.1/32 if=1"));
}

/* Root in a container may still lack CAP_SYS_ADMIN: try in a child. */
static gboolean
can_unshare_net (void)
{
  int status = 0;
  pid_t pid = fork ();

  if (pid == 0)
    _exit (unshare (CLONE_NEWNET) == 0 ? 0 : 1);
  if (pid < 0 || waitpid (pid, &status, 0) != pid)
    return FALSE;
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

static void
test_live (void)
{
  g_autofree gchar *ip = g_find_program_in_path ("ip");

  if (!g_test_subprocess () && (geteuid () != 0 || ip == NULL || !can_unshare_net ()))
    {
      g_test_skip ("needs root that may create a network namespace, and ip(8)");
      return;
    }
  if (g_test_subprocess ())
    {
      live_subprocess ();
      return;
    }
  g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  g_test_trap_assert_passed ();
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/net/addr-monitor/parse-valid", test_parse_valid);
  g_test_add_func ("/net/addr-monitor/parse-truncated", test_parse_truncated);
  g_test_add_func ("/net/addr-monitor/parse-lying-lengths", test_parse_lying_lengths);
  g_test_add_func ("/net/addr-monitor/parse-garbage", test_parse_garbage);
  g_test_add_func ("/net/addr-monitor/local-only", test_local_only);
  g_test_add_func ("/net/addr-monitor/live", test_live);
  return g_test_run ();
}

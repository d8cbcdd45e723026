/* fuzz-netlink-addr.c: libFuzzer target for the rtnetlink address
 * parser (core/net/nav-net-addr-monitor.c): the bytes a NETLINK_ROUTE
 * socket reads
 *
 * Parses the input at every alignment; each event must be well-formed,
 * and what the group does with it (the local-only test, the text) must
 * not crash.  The same file is linked into fuzz-netlink-addr-replay
 * (run-fuzz-replay.c), which every build runs.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <glib.h>

#include "nav-net-addr-monitor.h"

int LLVMFuzzerTestOneInput (const uint8_t *data,
                            size_t         size);

/* abort () rather than g_assert (), which G_DISABLE_ASSERT would remove */
#define FUZZ_CHECK(cond) G_STMT_START { if (!(cond)) abort (); } G_STMT_END

static void
check_event (const NavNetAddrEvent *event,
             gpointer               user_data)
{
  guint *count = user_data;
  gchar text[64];

  switch (event->kind)
    {
    case NAV_NET_ADDR_EVENT_ADDED:
    case NAV_NET_ADDR_EVENT_REMOVED:
      FUZZ_CHECK (event->family == AF_INET || event->family == AF_INET6);
      FUZZ_CHECK (strcmp (nav_net_addr_event_address_to_string (event, text, sizeof text), "-") != 0);
      (void) nav_net_addr_event_is_local_only (event);
      break;
    case NAV_NET_ADDR_EVENT_LINK:
      FUZZ_CHECK (event->ifindex > 0);
      break;
    default:
      abort ();
    }
  (*count)++;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  guint offset;

  for (offset = 0; offset < 4; offset++)
    {
      /* Exactly the input's size, so that a sanitizer sees any read
       * past it; at each misalignment.  (At least a byte: g_malloc (0)
       * is NULL, and NULL + 0 is undefined.) */
      guint8 *copy = g_malloc (MAX (size + offset, 1));
      guint count = 0, returned;

      if (size > 0)
        memcpy (copy + offset, data, size);
      returned = nav_net_addr_parse (copy + offset, size, check_event, &count);
      FUZZ_CHECK (returned == count);
      g_free (copy);
    }
  return 0;
}

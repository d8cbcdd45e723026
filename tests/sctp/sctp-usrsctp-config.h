/* sctp-usrsctp-config.h: usrsctp as libdatachannel sets it up, for the
 * differential test (test-sctp-usrsctp.c) and the benchmark's anchor
 * (bench/sctp-bench.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * usrsctp is a test oracle and an anchor here, never linked into the
 * library.  It runs without threads: its timers are driven by the caller
 * (usrsctp_handle_timers()).
 */
#pragma once

#include <glib.h>
#include <usrsctp.h>

/* usrsctp's SCTP_INTERLEAVING_SUPPORTED (netinet/sctp.h), absent from the
 * public header of Debian's 0.9.5. */
#define SCTP_USRSCTP_INTERLEAVING_SUPPORTED 0x00001206

static inline void
sctp_usrsctp_init (int  (*output) (void *addr, void *buf, size_t length, uint8_t tos, uint8_t set_df),
                   void (*debug) (const char *format, ...))
{
  /* Process-global, once. */
  usrsctp_init_nothreads (0, output, debug);
  usrsctp_sysctl_set_sctp_ecn_enable (0);
  usrsctp_sysctl_set_sctp_pr_enable (1);
  usrsctp_sysctl_set_sctp_init_rtx_max_default (5);
  usrsctp_sysctl_set_sctp_path_rtx_max_default (5);
  usrsctp_sysctl_set_sctp_assoc_rtx_max_default (5);
  usrsctp_sysctl_set_sctp_rto_min_default (1000);
  usrsctp_sysctl_set_sctp_rto_max_default (10000);
  usrsctp_sysctl_set_sctp_rto_initial_default (1000);
  usrsctp_sysctl_set_sctp_init_rto_max_default (10000);
  usrsctp_sysctl_set_sctp_heartbeat_interval_default (10000);
  usrsctp_sysctl_set_sctp_max_chunks_on_queue (10 * 1024);
  usrsctp_sysctl_set_sctp_initial_cwnd (10);
  usrsctp_sysctl_set_sctp_delayed_sack_time_default (20);
}

static inline void
sctp_usrsctp_finish (void)
{
  for (guint i = 0; i < 100 && usrsctp_finish () != 0; i++)
    usrsctp_handle_timers (1000);
}

/* The socket options; FALSE if one was refused. */
static inline gboolean
sctp_usrsctp_configure (struct socket *s,
                        guint          mtu,
                        gboolean       interleaving)
{
  struct sctp_assoc_value av = { .assoc_id = SCTP_ALL_ASSOC, .assoc_value = SCTP_ENABLE_RESET_STREAM_REQ };
  struct sctp_assoc_value iv = { .assoc_id = SCTP_FUTURE_ASSOC, .assoc_value = 1 };
  struct sctp_event ev = { .se_assoc_id = SCTP_ALL_ASSOC, .se_on = 1 };
  struct sctp_paddrparams spp = { 0 };
  struct sctp_initmsg init = { .sinit_num_ostreams = 65535, .sinit_max_instreams = 65535 };
  int on = 1, level = interleaving ? 2 : 0, buf = 1024 * 1024;
  guint16 events[] = { SCTP_ASSOC_CHANGE, SCTP_STREAM_RESET_EVENT };
  gboolean ok = TRUE;

  ok &= usrsctp_set_non_blocking (s, 1) == 0;
  ok &= usrsctp_setsockopt (s, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, &av, sizeof av) == 0;
  ok &= usrsctp_setsockopt (s, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on) == 0;
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    {
      ev.se_type = events[i];
      ok &= usrsctp_setsockopt (s, IPPROTO_SCTP, SCTP_EVENT, &ev, sizeof ev) == 0;
    }
  ok &= usrsctp_setsockopt (s, IPPROTO_SCTP, SCTP_NODELAY, &on, sizeof on) == 0;
  spp.spp_flags = SPP_HB_ENABLE | SPP_PMTUD_DISABLE;
  spp.spp_pathmtu = mtu;
  ok &= usrsctp_setsockopt (s, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, &spp, sizeof spp) == 0;
  ok &= usrsctp_setsockopt (s, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init) == 0;
  /* Interleaving wants fragment interleave level 2. */
  ok &= usrsctp_setsockopt (s, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, &level, sizeof level) == 0;
  if (interleaving)
    ok &= usrsctp_setsockopt (s, IPPROTO_SCTP, SCTP_USRSCTP_INTERLEAVING_SUPPORTED, &iv, sizeof iv) == 0;
  ok &= usrsctp_setsockopt (s, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf) == 0;
  ok &= usrsctp_setsockopt (s, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf) == 0;
  return ok;
}

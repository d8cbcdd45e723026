/* nav-sdp-private.h: SDP (RFC 8866) as JSEP (RFC 8829) uses it for a
 * data channel m-line (RFC 8841), parsed from and written to text;
 * private to the core, plain GLib (the fuzz target links it alone)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Bounds on what a peer may send: far above what any stack writes. */
#define NAV_SDP_MAX_LENGTH (256 * 1024)
#define NAV_SDP_MAX_MEDIA 64
#define NAV_SDP_MAX_CANDIDATES 64
#define NAV_SDP_MAX_FINGERPRINTS 8
#define NAV_SDP_MAX_NAT_TYPE 64

/* RFC 4145 §4 and RFC 8842 §5: who opens the DTLS association. */
typedef enum {
  NAV_SDP_SETUP_NONE,           /* no a=setup */
  NAV_SDP_SETUP_ACTPASS,
  NAV_SDP_SETUP_ACTIVE,
  NAV_SDP_SETUP_PASSIVE,
  NAV_SDP_SETUP_HOLDCONN,
} NavSdpSetup;

/* The two forms of a data channel m-line (RFC 8841 §4 and the draft
 * before it, which older aiortc and Firefox wrote). */
typedef enum {
  NAV_SDP_SCTP_NONE,            /* not a data channel m-line */
  NAV_SDP_SCTP_WEBRTC,          /* UDP/DTLS/SCTP webrtc-datachannel, a=sctp-port */
  NAV_SDP_SCTP_LEGACY,          /* DTLS/SCTP <port>, a=sctpmap */
} NavSdpSctpForm;

typedef struct {
  gchar *media;                 /* "application", "audio", … */
  guint port;                   /* 0: rejected or bundle-only */
  gchar *proto;                 /* "UDP/DTLS/SCTP", … */
  gchar *fmt;                   /* the rest of the m= line */
  gchar *connection;            /* the c= line's address, or NULL */
  gchar *mid;
  gchar *ice_ufrag;
  gchar *ice_pwd;
  gboolean ice_trickle;         /* a=ice-options has "trickle" */
  GPtrArray *fingerprints;      /* gchar *, "sha-256 AB:…" */
  NavSdpSetup setup;
  NavSdpSctpForm sctp;
  guint sctp_port;              /* 0 when absent */
  guint64 max_message_size;     /* 0 when absent */
  GPtrArray *candidates;        /* gchar *, "candidate:…" */
  gboolean end_of_candidates;
  gboolean bundle_only;
} NavSdpMedia;

typedef struct {
  gchar *origin_username;
  guint64 session_id;
  guint64 session_version;
  gboolean ice_lite;
  gchar *nat_type;              /* a=x-nav-nat (session level): the RFC 5780 NAT type */
  GPtrArray *bundle;            /* gchar *, the mids of a=group:BUNDLE */
  GPtrArray *media;             /* NavSdpMedia */
} NavSdp;

NavSdp      *nav_sdp_new                (void);
void         nav_sdp_free               (NavSdp        *sdp);
NavSdpMedia *nav_sdp_media_new          (const gchar   *media,
                                         guint          port,
                                         const gchar   *proto,
                                         const gchar   *fmt);
NavSdpMedia *nav_sdp_add_media          (NavSdp        *sdp,
                                         NavSdpMedia   *media);

/* Parses @text (untrusted): a GError (G_MARKUP_ERROR_PARSE's sibling:
 * NAV_ERROR_INVALID_ARGUMENT) naming the line on anything malformed.
 * Session-level ICE, fingerprint and setup attributes are copied into
 * each m-line that has none of its own (RFC 8839 §5.4, RFC 8122 §5). */
NavSdp      *nav_sdp_parse              (const gchar   *text,
                                         gsize          length,
                                         GError       **error);
gchar       *nav_sdp_to_string          (const NavSdp  *sdp);

/* The first data channel m-line that is not rejected, or NULL; @index
 * gets its position. */
NavSdpMedia *nav_sdp_find_data_media    (const NavSdp  *sdp,
                                         guint         *index);
gboolean     nav_sdp_is_bundled         (const NavSdp  *sdp,
                                         const gchar   *mid);

const gchar *nav_sdp_setup_to_string    (NavSdpSetup    setup);
gboolean     nav_sdp_ice_chars_valid    (const gchar   *s,
                                         gsize          min,
                                         gsize          max);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (NavSdp, nav_sdp_free)

G_END_DECLS

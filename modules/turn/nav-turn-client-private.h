/* nav-turn-client-private.h: what the files of the TURN client share
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * nav-turn-client.c holds the object, its requests (with the long-term
 * credentials of RFC 8489 §9.2), the allocation and its refresh, and
 * closing; nav-turn-client-conn.c the connections to the server (over
 * core/net) and what arrives on them; nav-turn-client-peers.c the peers:
 * permissions, channels, RFC 6062 connections, sending.
 */
#pragma once

#include "nav-turn-client.h"

G_BEGIN_DECLS

#define NAV_TURN_MAX_REDIRECTS 3
#define NAV_TURN_PROTO_UDP 17
#define NAV_TURN_PROTO_TCP 6

typedef struct _Conn Conn;
typedef struct _Request Request;
typedef struct _Peer Peer;

typedef void (*ConnReadyFunc) (Conn *conn, const GError *error, gpointer user_data);
typedef void (*RequestDoneFunc) (NavTurnClient  *self,
                                 Request        *req,
                                 NavStunMessage *response,
                                 const GError   *error);

/* A connection to the server: the control connection, or an RFC 6062 data
 * connection. */
struct _Conn
{
  gint ref_count;
  NavTurnClient *client;        /* weak; NULL once closed */
  gboolean udp;
  gboolean control;
  gboolean up;
  gboolean dead;

  GSocket *socket;              /* UDP, connected to the server */
  GSource *source;
  NavNetStream *stream;         /* TCP and TLS */
  gboolean resyncing;           /* within a run of bytes that is no frame */

  NavAddress local;
  ConnReadyFunc ready;
  gpointer ready_data;

  /* RFC 6062 data connections */
  gboolean raw;
  NavAddress peer;
  guint32 connection_id;
};

struct _Request
{
  NavTurnClient *client;
  guint method;
  Conn *conn;                   /* strong */
  NavStunTransaction *transaction;
  guint auth_tries;
  guint stale_tries;
  gboolean sent_credentials;

  gboolean has_peer;
  NavAddress peer;
  guint16 channel;
  gint lifetime;                /* -1: no LIFETIME */
  gboolean has_connection_id;
  guint32 connection_id;

  RequestDoneFunc done;
  gpointer data;
};

struct _Peer
{
  NavAddress addr;
  guint16 channel;
  gboolean perm_ok, perm_pending;
  gboolean chan_ok, chan_pending;
  gint64 perm_time, chan_time;
  GQueue queue;                 /* of GBytes, waiting */
  /* RFC 6062 */
  Conn *data_conn;              /* strong, once bound */
  gboolean connecting;
  GList *waiters;               /* of GTask */
  GList *perm_waiters;          /* of GTask, nav_turn_client_permit_async() */
};

struct _NavTurnClient
{
  GObject parent_instance;

  GMainContext *context;
  NavTurnClientConfig cfg;
  NavTurnClientReceiveFunc recv_func;
  gpointer recv_data;

  Conn *control;
  GHashTable *pending;          /* transaction id -> Request* */
  GPtrArray *data_conns;        /* of Conn*, being bound */
  NavNetUdpReader *reader;      /* UDP */

  gchar *realm;
  gchar *nonce;
  GBytes *key;
  guint algorithm;
  guint16 *algorithms;
  gsize n_algorithms;

  gboolean dont_fragment;
  guint redirects;
  GTask *allocate_task;
  gboolean allocated;
  gboolean closed;
  NavAddress relayed[2];
  guint n_relayed;
  NavAddress mapped;
  guint lifetime;
  GSource *refresh_timer;
  GSource *maintenance_timer;

  GHashTable *peers;            /* NavAddress* -> Peer* */
  GHashTable *channels;         /* channel -> Peer* (borrowed) */
  guint16 next_channel;

  guint64 garbage;
  guint refreshes;
  guint stale_nonces;
};

enum {
  NAV_TURN_CLIENT_SIGNAL_CLOSED,
  NAV_TURN_CLIENT_SIGNAL_PEER_ERROR,
  NAV_TURN_CLIENT_N_SIGNALS
};

extern guint nav_turn_client_signals[NAV_TURN_CLIENT_N_SIGNALS];

/* nav-turn-client-conn.c */
Conn     *nav_turn_client_conn_open       (NavTurnClient *self,
                                    gboolean       control,
                                    ConnReadyFunc  ready,
                                    gpointer       ready_data);
Conn     *nav_turn_client_conn_ref        (Conn          *conn);
void      nav_turn_client_conn_unref      (Conn          *conn);
void      nav_turn_client_conn_close      (Conn          *conn);
gboolean  nav_turn_client_conn_write      (Conn          *conn,
                                    GBytes        *bytes,
                                    GError       **error);
void      nav_turn_client_conn_add_socket (GPtrArray     *sockets,
                                    Conn          *conn);
void      nav_turn_client_conn_set_raw    (Conn          *conn);

/* nav-turn-client.c */
Request  *nav_turn_request_new     (NavTurnClient   *self,
                                    guint            method,
                                    Conn            *conn,
                                    RequestDoneFunc  done);
void      nav_turn_request_send    (NavTurnClient   *self,
                                    Request         *req);
void      nav_turn_fail_requests_on (NavTurnClient  *self,
                                     Conn           *conn,
                                     const GError   *error);
void      nav_turn_client_fail     (NavTurnClient   *self,
                                    const GError    *error);
void      nav_turn_client_handle_frame (NavTurnClient *self,
                                        Conn          *conn,
                                        const guint8  *data,
                                        gsize          len);
GError   *nav_turn_error_from_response    (NavStunMessage *response,
                                           const gchar    *what);
GError   *nav_turn_error_from_transaction (NavTurnClient  *self,
                                           const GError   *error,
                                           const gchar    *what);

/* nav-turn-client-peers.c */
Peer     *nav_turn_peer_lookup     (NavTurnClient    *self,
                                    const NavAddress *addr);
void      nav_turn_peer_free       (Peer             *peer);
void      nav_turn_peer_fail       (NavTurnClient    *self,
                                    Peer             *peer,
                                    const GError     *error);
void      nav_turn_accept_connection (NavTurnClient    *self,
                                      const NavAddress *peer,
                                      guint32           id);
void      nav_turn_refresh_peers   (NavTurnClient    *self);
void      nav_turn_deliver         (NavTurnClient    *self,
                                    const guint8     *data,
                                    gsize             len,
                                    const NavAddress *from);

G_END_DECLS

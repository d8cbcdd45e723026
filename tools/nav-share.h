/* nav-share.h: nav-share's parts (nav-share.c: options, rendezvous,
 * connection and PAKE; nav-share-send.c; nav-share-receive.c;
 * nav-share-progress.c)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <glib.h>
#include <netavanue/netavanue.h>
#include <json-glib/json-glib.h>

#include "share/nav-share-files.h"
#include "share/nav-share-hash.h"
#include "share/nav-share-pake.h"
#include "share/nav-share-relay.h"

G_BEGIN_DECLS

#define NAV_SHARE_CONTROL_LABEL "nav-share"
#define NAV_SHARE_PARALLEL 4
/* Per file channel: refill below the low mark, up to the high one. */
#define NAV_SHARE_LOW_MARK (1024 * 1024)
#define NAV_SHARE_HIGH_MARK (4 * 1024 * 1024)
#define NAV_SHARE_CHUNK (64 * 1024)
/* The association's receive window: a transfer cannot exceed it per
 * round trip (the 4 MiB default is 40 MB/s over 100 ms; 16 MiB is
 * 160 MB/s).  The receiver writes on a thread of its own and gives the
 * window back as it writes, so the memory is used only while the disk
 * is slower than the path: at most this much, whatever the size. */
#define NAV_SHARE_RECEIVE_WINDOW (16 * 1024 * 1024)

typedef struct _NavShare NavShare;

typedef struct {
  NavShare *share;
  guint index;                  /* in the manifest */
  NavShareEntry *entry;
  NavDataChannel *channel;
  gint fd;
  guint64 offset;               /* where this run started */
  guint64 position;             /* bytes of the file sent or written */
  NavShareHash sum;             /* of bytes [0, position) */
  gchar *prefix_hash;           /* receiver: the hash of a kept .part */
  gchar *part_path;
  gchar *final_path;
  gboolean started;
  gboolean ended;               /* sender: "end" sent; receiver: verified */
  gboolean ok;                  /* the receiver has it under its name */
  gboolean complete_already;    /* receiver: identical file already there */
  guint8 *buffer;
} NavShareFile;

struct _NavShare
{
  /* options */
  gboolean sending;
  gchar *code;
  gchar *signal_uri;
  gchar **ice_servers;
  gchar *turn_user;
  gchar *turn_password;
  gchar *relay_uri;             /* the WebSocket relay when ICE fails; NULL: none */
  gchar *ca_file;               /* wss://: trust these authorities, not the system's */
  GTlsDatabase *tls_database;   /* read from ca_file */
  gboolean no_config;           /* share.conf not read */
  gchar *text;
  gchar *output;
  gboolean yes;
  gboolean overwrite;
  gboolean resume;
  gboolean loopback;
  gint timeout_s;
  guint n_words;
  gchar **paths;

  /* state */
  GMainLoop *loop;
  gint status;
  gboolean finished;
  gboolean completed;            /* everything arrived: closing is no failure */
  guint slot;
  gchar *password;
  gchar *room;
  GObject *lan_server;
  NavDiscovery *discovery;
  NavSignalingClient *client;
  gchar *signal_peer_id;        /* ours at the signaling server, now */
  NavSignalingSession *session;
  NavPeerConnection *pc;
  NavShareRelayChannel *transport; /* under DTLS: ICE's channel, or the relay */
  NavDataChannel *control;
  NavSharePake *pake;
  gboolean authenticated;
  gboolean connected;
  guint timeout_id;
  guint linger_id;
  guint reset_id;
  guint restart_id;             /* an ICE restart under way */
  guint relay_timer_id;         /* ICE given this long before the relay */
  gboolean guessed;             /* sender: a receiver answered the PAKE */
  guint tries;                  /* sender: receivers met with this code */
  guint stdin_id;
  gint64 start_us;
  gint64 connected_us;
  gint64 first_byte_us;

  /* the transfer */
  GPtrArray *entries;
  NavShareFile *files;          /* one per entry */
  guint n_files;                /* regular files */
  guint next_file;
  guint active;
  guint files_ok;
  guint64 total_bytes;          /* of regular files */
  guint64 resumed_bytes;        /* kept from an earlier run */
  guint64 moved_bytes;          /* sent or written in this run */
  guint skipped;

  /* progress */
  gboolean tty;
  guint progress_id;
  gint last_decile;
};

void     nav_share_fail             (NavShare    *share,
                                     const gchar *format,
                                     ...) G_GNUC_PRINTF (2, 3);
void     nav_share_lost             (NavShare    *share,
                                     const gchar *format,
                                     ...) G_GNUC_PRINTF (2, 3);
void     nav_share_finish           (NavShare    *share);
void     nav_share_finish_later     (NavShare    *share,
                                     guint        ms,
                                     gint         status);
gboolean nav_share_send_control     (NavShare    *share,
                                     JsonObject  *message);

/* nav-share-send.c */
void     nav_share_send_reset       (NavShare    *share);
gboolean nav_share_send_prepare     (NavShare    *share,
                                     GError     **error);
void     nav_share_send_offer       (NavShare    *share);
void     nav_share_send_control_message (NavShare    *share,
                                         const gchar *type,
                                         JsonObject  *message);

/* nav-share-receive.c */
void     nav_share_receive_control_message (NavShare    *share,
                                            const gchar *type,
                                            JsonObject  *message);
void     nav_share_receive_file_channel (NavShare       *share,
                                         NavDataChannel *channel,
                                         const gchar    *label);
void     nav_share_receive_stop     (NavShare    *share);
/* A queue of messages for a thread of its own (nav-share-hasher.c):
 * the hasher at both ends, the receiver's writer. */
typedef struct {
  GMutex lock;
  GCond cond;
  GQueue jobs;                  /* NavShareJob, in order */
  gsize queued;                 /* their bytes */
  gsize queued_max;             /* its high-water mark */
  gboolean busy;                /* the thread is on one */
  GThread *thread;
  GHashTable *targets;          /* NavShareFile → the user's target */
} NavShareWork;

typedef struct {
  gpointer target;              /* the user's: a file's hash, a file's descriptor */
  GBytes *bytes;
  guint64 offset;
} NavShareJob;

gpointer nav_share_work_lock        (NavShareWork   *work,
                                     NavShareFile   *file,
                                     const gchar    *name,
                                     GThreadFunc     func,
                                     GDestroyNotify  free_target);
void     nav_share_work_push_locked (NavShareWork *work,
                                     gpointer      target,
                                     GBytes       *bytes,
                                     guint64       offset);
NavShareJob *nav_share_work_next    (NavShareWork *work,
                                     NavShareJob  *done);
void     nav_share_work_wait_locked (NavShareWork *work);
void     nav_share_work_drop_locked (NavShareWork *work);
void     nav_share_hasher_push      (NavShareFile *file,
                                     GBytes       *bytes);
void     nav_share_hasher_sync      (NavShareFile *file);

/* nav-share-progress.c */
void     nav_share_progress_start   (NavShare    *share);
void     nav_share_progress_stop    (NavShare    *share);
void     nav_share_summary          (NavShare    *share);
void     nav_share_file_free        (NavShareFile *file);

G_END_DECLS

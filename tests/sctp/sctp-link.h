/* sctp-link.h: two SCTP associations wired through a simulated link, on
 * virtual time
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each end's packets go through its own link (loss, duplication,
 * reordering, delay, or no link at all), delivered in time order; the
 * clock jumps from one event (a packet arriving, a timer) to the next, so
 * a minute of protocol time costs what its packets cost.  The random
 * choices come from a seeded GRand: a run is reproducible.
 */
#pragma once

#include "nav-sctp-association.h"

typedef struct _SctpWorld SctpWorld;
typedef struct _SctpEnd SctpEnd;

/* A bottleneck several links share (several worlds, run together by
 * sctp_worlds_run_until): one queue, drained at @rate, tail drop beyond
 * @queue_limit bytes. */
typedef struct {
  guint64 rate;
  gsize queue_limit;
  gint64 free_at;
  gint64 max_queue_us;
  guint64 drops;
} SctpBottleneck;

typedef struct {
  gdouble loss;
  gdouble duplicate;
  gdouble reorder;              /* probability of an extra delay */
  gint64 delay_us;              /* one way */
  gint64 reorder_us;            /* the extra delay */
  gboolean down;                /* every packet lost */
  /* Drops only packets carrying DATA or I-DATA chunks, with this
   * probability (on top of loss). */
  gdouble data_loss;
  /* Drops the n-th packet carrying data (counted from 1; 0: none). */
  guint drop_data_nth;
  /* A bottleneck: bytes per second (0: none), and the bytes its queue
   * holds before it drops what comes (0: no limit). */
  guint64 rate;
  gsize queue_limit;
  /* Or a bottleneck shared with other links (rate, queue_limit unused). */
  SctpBottleneck *shared;
} SctpLinkConfig;

typedef struct {
  guint16 stream_id;
  guint32 ppid;
  gboolean unordered;
  GBytes *data;
} SctpReceived;

struct _SctpEnd {
  SctpWorld *world;
  SctpEnd *peer;
  const gchar *name;
  NavSctpAssociation *assoc;
  GRand *rand;
  SctpLinkConfig link;          /* for the packets this end sends */
  GPtrArray *received;          /* SctpReceived */
  guint connected;
  guint restarted;
  gboolean closed;
  NavSctpCloseReason close_reason;
  gchar *close_detail;
  GArray *abandoned;            /* guint64 tags */
  GArray *reset_incoming;       /* guint16 */
  GArray *reset_outgoing;       /* guint16 */
  guint reset_failed;
  guint buffered_low;
  guint total_buffered_low;
  GPtrArray *errors;            /* gchar * */
  gboolean capture;
  GPtrArray *wire;              /* GBytes: what this end sent, when capturing */
  guint64 packets_sent;
  guint64 packets_lost;
  guint64 data_packets;
  gint64 link_free_at;          /* the bottleneck sends its queue until then */
  gint64 max_queue_us;          /* the longest wait in its queue */
  guint64 queue_drops;
  /* Called for each message, after it is recorded. */
  void (*on_message) (SctpEnd *end, const NavSctpMessage *msg, gpointer data);
  gpointer on_message_data;
};

struct _SctpWorld {
  gint64 now;
  GRand *rand;
  GSequence *in_flight;
  guint64 seq;
  SctpEnd a;
  SctpEnd b;
  /* Called after every step: the applications' turn. */
  void (*pump) (SctpWorld *w, gpointer data);
  gpointer pump_data;
};

SctpWorld *sctp_world_new (guint32               seed,
                           const NavSctpOptions *options_a,
                           const NavSctpOptions *options_b);
void sctp_world_free (SctpWorld *w);

typedef gboolean (*SctpDoneFunc) (SctpWorld *w, gpointer data);

/* Runs until @done says so or @max_us of virtual time passed; returns
 * whether @done said so. */
gboolean sctp_world_run_until (SctpWorld   *w,
                               SctpDoneFunc done,
                               gpointer     data,
                               gint64       max_us);
void sctp_world_run_for (SctpWorld *w,
                         gint64     us);
/* Runs @n worlds on one clock (the first's), event by event, until @done
 * says so or @max_us passed: associations whose links share an
 * SctpBottleneck. */
gboolean sctp_worlds_run_until (SctpWorld  **worlds,
                                guint        n,
                                SctpDoneFunc done,
                                gpointer     data,
                                gint64       max_us);
gboolean sctp_world_connect (SctpWorld *w,
                             gboolean   both);

/* Replaces @end's association with a new one (the old one freed): a
 * peer that restarted.  Safe from @end's own callbacks. */
void sctp_end_restart (SctpEnd              *end,
                       const NavSctpOptions *options);

/* Hands @end a packet at once, as if from its peer. */
void sctp_end_inject (SctpEnd      *end,
                      const guint8 *packet,
                      gsize         len);

/* Deterministic message contents: the first four bytes carry @id. */
GBytes *sctp_payload (guint32 id,
                      gsize   len);
gboolean sctp_payload_check (GBytes  *data,
                             guint32 *id);

NavSctpState sctp_end_state (SctpEnd *end);
void sctp_end_stats (SctpEnd      *end,
                     NavSctpStats *stats);

/* Builds a packet from @from's point of view (its ports, the tag it puts
 * on its packets to its peer), with a correct CRC32c. */
GBytes *sctp_packet_build (guint32       vtag,
                           const guint8 *chunks,
                           gsize         chunks_len);
/* Whether a packet holds a DATA or I-DATA chunk. */
gboolean sctp_packet_carries_data (const guint8 *packet,
                                   gsize         len);

/* The verification tag @end puts on its packets (from its last capture). */
guint32 sctp_end_wire_tag (SctpEnd *end);

/* nav-share-hasher.c: SHA-256 of the files sent or received, on a
 * thread of its own
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include "nav-share.h"

/* SHA-256 on a thread of its own, at both ends: hashing was a third of
 * each end's CPU, and an end that hashes on its main context feeds (or
 * drains) the channel that much slower.  Each file's hash goes on in a
 * state of the hasher's while bytes are queued for it;
 * nav_share_hasher_sync() waits until they are hashed and hands the hash
 * back to the file (before the file's hash is read or reset).  What is
 * queued is bounded: nav_share_hasher_push() waits past HASH_QUEUE_MAX. */
#define HASH_QUEUE_MAX (8 * 1024 * 1024)

typedef struct {
  NavShareHash sum;
} HashState;

typedef struct {
  HashState *state;
  GBytes *bytes;
} HashJob;

static struct {
  GMutex lock;
  GCond cond;
  GQueue jobs;                  /* HashJob, in order */
  gsize queued;                 /* their bytes */
  gboolean busy;                /* the thread is hashing one */
  GHashTable *states;           /* NavShareFile → HashState */
  GThread *thread;
} hasher;

static gpointer
hasher_thread (gpointer data)
{
  g_mutex_lock (&hasher.lock);
  for (;;)
    {
      HashJob *job;
      gsize len;
      const guint8 *bytes;

      while (hasher.jobs.length == 0)
        g_cond_wait (&hasher.cond, &hasher.lock);
      job = g_queue_pop_head (&hasher.jobs);
      hasher.busy = TRUE;
      g_mutex_unlock (&hasher.lock);
      bytes = g_bytes_get_data (job->bytes, &len);
      nav_share_hash_update (&job->state->sum, bytes, len);
      g_bytes_unref (job->bytes);
      g_free (job);
      g_mutex_lock (&hasher.lock);
      hasher.queued -= len;
      hasher.busy = FALSE;
      g_cond_broadcast (&hasher.cond);
    }
  return NULL;
}

void
nav_share_hasher_push (NavShareFile *file,
             GBytes       *bytes)
{
  HashJob *job = g_new (HashJob, 1);

  g_mutex_lock (&hasher.lock);
  if (hasher.thread == NULL)
    {
      hasher.states = g_hash_table_new_full (NULL, NULL, NULL, g_free);
      hasher.thread = g_thread_new ("nav-share-hash", hasher_thread, NULL);
    }
  job->state = g_hash_table_lookup (hasher.states, file);
  if (job->state == NULL)
    {
      /* Nothing queued for this file: its own hash is the current one. */
      job->state = g_new (HashState, 1);
      job->state->sum = file->sum;
      g_hash_table_insert (hasher.states, file, job->state);
    }
  job->bytes = g_bytes_ref (bytes);
  hasher.queued += g_bytes_get_size (bytes);
  g_queue_push_tail (&hasher.jobs, job);
  g_cond_broadcast (&hasher.cond);
  while (hasher.queued > HASH_QUEUE_MAX)
    g_cond_wait (&hasher.cond, &hasher.lock);
  g_mutex_unlock (&hasher.lock);
}

void
nav_share_hasher_sync (NavShareFile *file)
{
  HashState *state;

  g_mutex_lock (&hasher.lock);
  while (hasher.jobs.length > 0 || hasher.busy)
    g_cond_wait (&hasher.cond, &hasher.lock);
  state = hasher.states != NULL ? g_hash_table_lookup (hasher.states, file) : NULL;
  if (state != NULL)
    {
      file->sum = state->sum;
      g_hash_table_remove (hasher.states, file);
    }
  g_mutex_unlock (&hasher.lock);
}

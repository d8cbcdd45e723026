/* nav-share-hasher.c: SHA-256 of the files sent or received, on a
 * thread of its own; the queue of a thread of nav-share's (NavShareWork:
 * the hasher's, the receiver's writer's)
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

static NavShareWork hasher;    /* targets: HashState */

/* Locks @work, starting its thread (@name, @func) the first time: the
 * target of @file, or NULL. */
gpointer
nav_share_work_lock (NavShareWork   *work,
                     NavShareFile   *file,
                     const gchar    *name,
                     GThreadFunc     func,
                     GDestroyNotify  free_target)
{
  g_mutex_lock (&work->lock);
  if (work->thread == NULL)
    {
      work->targets = g_hash_table_new_full (NULL, NULL, NULL, free_target);
      work->thread = g_thread_new (name, func, NULL);
    }
  return g_hash_table_lookup (work->targets, file);
}

/* Queues a job of @bytes for @target, and wakes the thread. */
void
nav_share_work_push_locked (NavShareWork *work,
                            gpointer      target,
                            GBytes       *bytes,
                            guint64       offset)
{
  NavShareJob *job = g_new (NavShareJob, 1);

  *job = (NavShareJob) { .target = target, .bytes = g_bytes_ref (bytes), .offset = offset };
  work->queued += g_bytes_get_size (bytes);
  work->queued_max = MAX (work->queued_max, work->queued);
  g_queue_push_tail (&work->jobs, job);
  g_cond_broadcast (&work->cond);
}

static void
job_free (NavShareJob *job)
{
  g_bytes_unref (job->bytes);
  g_free (job);
}

/* The thread's loop: @done (or NULL) is finished, the next job is
 * returned once there is one. */
NavShareJob *
nav_share_work_next (NavShareWork *work,
                     NavShareJob  *done)
{
  NavShareJob *job;
  gsize len = done != NULL ? g_bytes_get_size (done->bytes) : 0;

  if (done != NULL)
    job_free (done);
  g_mutex_lock (&work->lock);
  work->queued -= len;
  work->busy = FALSE;
  g_cond_broadcast (&work->cond);
  while (work->jobs.length == 0)
    g_cond_wait (&work->cond, &work->lock);
  job = g_queue_pop_head (&work->jobs);
  work->busy = TRUE;
  g_mutex_unlock (&work->lock);
  return job;
}

/* Until every queued job is done. */
void
nav_share_work_wait_locked (NavShareWork *work)
{
  while (work->jobs.length > 0 || work->busy)
    g_cond_wait (&work->cond, &work->lock);
}

/* The jobs not started are dropped; until the one under way is done. */
void
nav_share_work_drop_locked (NavShareWork *work)
{
  NavShareJob *job;

  while ((job = g_queue_pop_head (&work->jobs)) != NULL)
    {
      work->queued -= g_bytes_get_size (job->bytes);
      job_free (job);
    }
  nav_share_work_wait_locked (work);
}

static gpointer
hasher_thread (gpointer data)
{
  NavShareJob *job = NULL;

  for (;;)
    {
      gsize len;
      const guint8 *bytes;

      job = nav_share_work_next (&hasher, job);
      bytes = g_bytes_get_data (job->bytes, &len);
      nav_share_hash_update (&((HashState *) job->target)->sum, bytes, len);
    }
  return NULL;
}

void
nav_share_hasher_push (NavShareFile *file,
                       GBytes       *bytes)
{
  HashState *state = nav_share_work_lock (&hasher, file, "nav-share-hash", hasher_thread, g_free);

  if (state == NULL)
    {
      /* Nothing queued for this file: its own hash is the current one. */
      state = g_new (HashState, 1);
      state->sum = file->sum;
      g_hash_table_insert (hasher.targets, file, state);
    }
  nav_share_work_push_locked (&hasher, state, bytes, 0);
  while (hasher.queued > HASH_QUEUE_MAX)
    g_cond_wait (&hasher.cond, &hasher.lock);
  g_mutex_unlock (&hasher.lock);
}

void
nav_share_hasher_sync (NavShareFile *file)
{
  HashState *state;

  g_mutex_lock (&hasher.lock);
  nav_share_work_wait_locked (&hasher);
  state = hasher.targets != NULL ? g_hash_table_lookup (hasher.targets, file) : NULL;
  if (state != NULL)
    {
      file->sum = state->sum;
      g_hash_table_remove (hasher.targets, file);
    }
  g_mutex_unlock (&hasher.lock);
}

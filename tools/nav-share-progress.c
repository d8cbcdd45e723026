/* nav-share-progress.c: progress, the summary, and a file's state freed
 *
 * On a terminal (standard error) one line redrawn four times a second:
 * percentage, bytes, rate and ETA; otherwise a plain line at each tenth.
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdio.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "nav-share.h"

#define BAR_WIDTH 24

static gdouble
seconds_since (gint64 start_us)
{
  return MAX (g_get_monotonic_time () - start_us, 1) / 1e6;
}

static gchar *
format_eta (gdouble seconds)
{
  guint s = (guint) (seconds + 0.5);

  if (s >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
  return g_strdup_printf ("%u:%02u", s / 60, s % 60);
}

static gboolean
on_progress (gpointer user_data)
{
  NavShare *share = user_data;
  guint64 done = share->resumed_bytes + share->moved_bytes;
  guint64 total = MAX (share->total_bytes, 1);
  gdouble elapsed = share->first_byte_us != 0 ? seconds_since (share->first_byte_us) : 0;
  gdouble rate = elapsed > 0 ? share->moved_bytes / elapsed : 0;
  gint percent = (gint) (done * 100 / total);
  g_autofree gchar *done_text = nav_share_format_size (done);
  g_autofree gchar *total_text = nav_share_format_size (share->total_bytes);
  g_autofree gchar *rate_text = nav_share_format_size ((guint64) rate);
  g_autofree gchar *eta = format_eta (rate > 0 ? (share->total_bytes - MIN (done, share->total_bytes)) / rate : 0);

  if (share->tty)
    {
      gchar bar[BAR_WIDTH + 1];
      gint filled = percent * BAR_WIDTH / 100, i;

      for (i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '#' : '.';
      bar[BAR_WIDTH] = '\0';
      /* TRANSLATORS: a progress line: bar, percentage, bytes done of
       * total, rate per second, time left */
      g_printerr (_("\r[%s] %3d%%  %s of %s  %s/s  ETA %s   "), bar, percent, done_text, total_text, rate_text,
                  eta);
    }
  else if (percent / 10 > share->last_decile)
    {
      share->last_decile = percent / 10;
      g_print (_("progress: %d%%, %s of %s, %s/s\n"), percent, done_text, total_text, rate_text);
      fflush (stdout);
    }
  return G_SOURCE_CONTINUE;
}

void
nav_share_progress_start (NavShare *share)
{
  if (share->progress_id == 0 && share->total_bytes > 0)
    share->progress_id = g_timeout_add (share->tty ? 250 : 100, on_progress, share);
}

void
nav_share_progress_stop (NavShare *share)
{
  if (share->progress_id == 0)
    return;
  g_clear_handle_id (&share->progress_id, g_source_remove);
  on_progress (share);
  if (share->tty)
    g_printerr ("\n");
}

void
nav_share_summary (NavShare *share)
{
  gdouble elapsed = share->first_byte_us != 0 ? seconds_since (share->first_byte_us) : 0;
  g_autofree gchar *moved = nav_share_format_size (share->moved_bytes);
  g_autofree gchar *rate = nav_share_format_size (elapsed > 0 ? (guint64) (share->moved_bytes / elapsed) : 0);

  if (share->text != NULL && share->sending)
    {
      g_print (_("Text sent\n"));
      return;
    }
  g_print (share->sending ? ngettext ("Sent %u file, %s in %.2f s (%s/s)", "Sent %u files, %s in %.2f s (%s/s)",
                                      share->n_files)
                          : ngettext ("Received %u file, %s in %.2f s (%s/s)",
                                      "Received %u files, %s in %.2f s (%s/s)", share->n_files),
           share->n_files, moved, elapsed, rate);
  if (share->resumed_bytes > 0)
    {
      g_autofree gchar *kept = nav_share_format_size (share->resumed_bytes);

      g_print (_("; %s (%llu bytes) kept from an earlier try"), kept,
               (unsigned long long) share->resumed_bytes);
    }
  g_print ("\n");
  if (share->first_byte_us != 0)
    g_print (_("First byte %.1f ms after start; %llu bytes carried in this run\n"),
             (share->first_byte_us - share->start_us) / 1000.0,
             (unsigned long long) share->moved_bytes);
  if (share->skipped > 0)
    g_print (ngettext ("%u entry was skipped (see above)\n", "%u entries were skipped (see above)\n",
                       share->skipped), share->skipped);
  fflush (stdout);
}

void
nav_share_file_free (NavShareFile *file)
{
  if (file->channel != NULL)
    {
      g_signal_handlers_disconnect_by_data (file->channel, file);
      g_clear_object (&file->channel);
    }
  if (file->fd >= 0)
    close (file->fd);
  file->fd = -1;
  g_clear_pointer (&file->prefix_hash, g_free);
  g_clear_pointer (&file->part_path, g_free);
  g_clear_pointer (&file->final_path, g_free);
  g_clear_pointer (&file->buffer, g_free);
}

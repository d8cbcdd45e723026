/* nav-stats.c: statistics reports: their common members, the names of
 * ICE values, and their JSON form
 *
 * The reports follow W3C "Identifiers for WebRTC's Statistics API"
 * (webrtc-stats): the same types ("candidate-pair", "local-candidate",
 * "transport", "data-channel", "peer-connection") and member names, so
 * that what a script reads of ours reads like a browser's getStats().
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>

#include "inspect/nav-stats-private.h"

gdouble
nav_stats_now (void)
{
  return g_get_real_time () / 1000.0;
}

void
nav_stats_report_begin (GVariantBuilder *b,
                        const gchar     *type,
                        const gchar     *id,
                        gdouble          timestamp)
{
  g_variant_builder_init (b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (b, "{sv}", "id", g_variant_new_string (id));
  g_variant_builder_add (b, "{sv}", "type", g_variant_new_string (type));
  g_variant_builder_add (b, "{sv}", "timestamp", g_variant_new_double (timestamp));
}

void
nav_stats_report_end (GVariantBuilder *reports,
                      GVariantBuilder *b,
                      const gchar     *id)
{
  g_variant_builder_add (reports, "{s@a{sv}}", id, g_variant_builder_end (b));
}

const gchar *
nav_stats_protocol (NavCandidateTransport transport)
{
  return transport == NAV_CANDIDATE_TRANSPORT_UDP ? "udp" : "tcp";
}

/* RTCIceTcpCandidateType, NULL over UDP */
const gchar *
nav_stats_tcp_type (NavCandidateTransport transport)
{
  switch (transport)
    {
    case NAV_CANDIDATE_TRANSPORT_TCP_ACTIVE:
      return "active";
    case NAV_CANDIDATE_TRANSPORT_TCP_PASSIVE:
      return "passive";
    case NAV_CANDIDATE_TRANSPORT_TCP_SO:
      return "so";
    default:
      return NULL;
    }
}

/* RTCStatsIceCandidatePairState */
const gchar *
nav_stats_pair_state (NavPairState state)
{
  switch (state)
    {
    case NAV_PAIR_STATE_FROZEN:
      return "frozen";
    case NAV_PAIR_STATE_WAITING:
      return "waiting";
    case NAV_PAIR_STATE_IN_PROGRESS:
      return "in-progress";
    case NAV_PAIR_STATE_SUCCEEDED:
      return "succeeded";
    case NAV_PAIR_STATE_FAILED:
      return "failed";
    default:
      return "unknown";
    }
}

/* The component's state in libnice's words (nav_component_state_to_string()
 * without the prefix); RTCIceTransportState has no gathering. */
const gchar *
nav_stats_ice_state (NavComponentState state)
{
  switch (state)
    {
    case NAV_COMPONENT_STATE_DISCONNECTED:
      return "disconnected";
    case NAV_COMPONENT_STATE_GATHERING:
      return "gathering";
    case NAV_COMPONENT_STATE_CONNECTING:
      return "connecting";
    case NAV_COMPONENT_STATE_CONNECTED:
      return "connected";
    case NAV_COMPONENT_STATE_READY:
      return "ready";
    case NAV_COMPONENT_STATE_FAILED:
      return "failed";
    default:
      return "unknown";
    }
}

/* ------------------------------------------------------------------ JSON */

static void
json_string (GString     *out,
             const gchar *s)
{
  g_string_append_c (out, '"');
  for (; *s != '\0'; s++)
    {
      guchar c = (guchar) *s;

      switch (c)
        {
        case '"':
          g_string_append (out, "\\\"");
          break;
        case '\\':
          g_string_append (out, "\\\\");
          break;
        case '\n':
          g_string_append (out, "\\n");
          break;
        case '\r':
          g_string_append (out, "\\r");
          break;
        case '\t':
          g_string_append (out, "\\t");
          break;
        default:
          /* RFC 8259 §7: control characters escaped; GVariant strings
           * are valid UTF-8, which JSON takes as it is. */
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (gchar) c);
        }
    }
  g_string_append_c (out, '"');
}

static void
json_newline (GString  *out,
              gboolean  pretty,
              guint     depth)
{
  if (!pretty)
    return;
  g_string_append_c (out, '\n');
  for (guint i = 0; i < depth; i++)
    g_string_append (out, "  ");
}

static void
json_value (GString  *out,
            GVariant *v,
            gboolean  pretty,
            guint     depth)
{
  const GVariantType *type = g_variant_get_type (v);
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  switch (g_variant_classify (v))
    {
    case G_VARIANT_CLASS_BOOLEAN:
      g_string_append (out, g_variant_get_boolean (v) ? "true" : "false");
      return;
    case G_VARIANT_CLASS_BYTE:
      g_string_append_printf (out, "%u", g_variant_get_byte (v));
      return;
    case G_VARIANT_CLASS_INT16:
      g_string_append_printf (out, "%d", g_variant_get_int16 (v));
      return;
    case G_VARIANT_CLASS_UINT16:
      g_string_append_printf (out, "%u", g_variant_get_uint16 (v));
      return;
    case G_VARIANT_CLASS_INT32:
      g_string_append_printf (out, "%d", g_variant_get_int32 (v));
      return;
    case G_VARIANT_CLASS_UINT32:
      g_string_append_printf (out, "%u", g_variant_get_uint32 (v));
      return;
    case G_VARIANT_CLASS_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, g_variant_get_int64 (v));
      return;
    case G_VARIANT_CLASS_UINT64:
      g_string_append_printf (out, "%" G_GUINT64_FORMAT, g_variant_get_uint64 (v));
      return;
    case G_VARIANT_CLASS_HANDLE:
      g_string_append_printf (out, "%d", g_variant_get_handle (v));
      return;
    case G_VARIANT_CLASS_DOUBLE:
      {
        gdouble d = g_variant_get_double (v);

        /* JSON has no NaN nor infinity. */
        if (!isfinite (d))
          g_string_append (out, "null");
        else
          g_string_append (out, g_ascii_dtostr (buf, sizeof buf, d));
        return;
      }
    case G_VARIANT_CLASS_STRING:
    case G_VARIANT_CLASS_OBJECT_PATH:
    case G_VARIANT_CLASS_SIGNATURE:
      json_string (out, g_variant_get_string (v, NULL));
      return;
    case G_VARIANT_CLASS_VARIANT:
      {
        g_autoptr (GVariant) inner = g_variant_get_variant (v);

        json_value (out, inner, pretty, depth);
        return;
      }
    case G_VARIANT_CLASS_MAYBE:
      {
        g_autoptr (GVariant) inner = g_variant_get_maybe (v);

        if (inner == NULL)
          g_string_append (out, "null");
        else
          json_value (out, inner, pretty, depth);
        return;
      }
    case G_VARIANT_CLASS_ARRAY:
      if (g_variant_type_is_dict_entry (g_variant_type_element (type)) &&
          g_variant_type_is_subtype_of (g_variant_type_key (g_variant_type_element (type)),
                                        G_VARIANT_TYPE_STRING))
        {
          gsize n = g_variant_n_children (v);

          g_string_append_c (out, '{');
          for (gsize i = 0; i < n; i++)
            {
              g_autoptr (GVariant) entry = g_variant_get_child_value (v, i);
              g_autoptr (GVariant) key = g_variant_get_child_value (entry, 0);
              g_autoptr (GVariant) value = g_variant_get_child_value (entry, 1);

              if (i > 0)
                g_string_append_c (out, ',');
              json_newline (out, pretty, depth + 1);
              json_string (out, g_variant_get_string (key, NULL));
              g_string_append (out, pretty ? ": " : ":");
              json_value (out, value, pretty, depth + 1);
            }
          if (n > 0)
            json_newline (out, pretty, depth);
          g_string_append_c (out, '}');
          return;
        }
      G_GNUC_FALLTHROUGH;
    case G_VARIANT_CLASS_TUPLE:
    case G_VARIANT_CLASS_DICT_ENTRY:
      {
        gsize n = g_variant_n_children (v);

        g_string_append_c (out, '[');
        for (gsize i = 0; i < n; i++)
          {
            g_autoptr (GVariant) child = g_variant_get_child_value (v, i);

            if (i > 0)
              g_string_append_c (out, ',');
            json_newline (out, pretty, depth + 1);
            json_value (out, child, pretty, depth + 1);
          }
        if (n > 0)
          json_newline (out, pretty, depth);
        g_string_append_c (out, ']');
        return;
      }
    }
  g_string_append (out, "null");
}

/**
 * nav_stats_to_json:
 * @stats: statistics, as [method@Nav.Agent.get_stats] returns them (or
 *   any other variant)
 * @pretty: whether to indent
 *
 * Writes statistics as JSON (RFC 8259), an object of the reports by id
 * as `JSON.stringify(Object.fromEntries(await pc.getStats()))` gives
 * them in a browser: dictionaries with string keys become objects,
 * other arrays and tuples arrays, numbers numbers (NaN and infinities
 * `null`), a maybe without value `null`.
 *
 * Returns: (transfer full): the JSON text
 *
 * Since: 1.0
 */
gchar *
nav_stats_to_json (GVariant *stats,
                   gboolean  pretty)
{
  GString *out;

  g_return_val_if_fail (stats != NULL, NULL);

  out = g_string_new (NULL);
  json_value (out, stats, pretty, 0);
  return g_string_free (out, FALSE);
}

/* nav-session-description.c: a session description, its type and SDP
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <string.h>

#include "netavanue/netavanue.h"

struct _NavSessionDescription
{
  NavSdpType type;
  gchar *sdp;
};

static void
clear (gpointer data)
{
  NavSessionDescription *self = data;

  g_free (self->sdp);
}

/**
 * nav_session_description_new:
 * @type: the description's type
 * @sdp: its SDP text (ignored for %NAV_SDP_TYPE_ROLLBACK: may be "")
 *
 * Makes a description, as the peer's arrives from the signaling channel
 * (its type, as JSON carries it, through [func@Nav.SdpType.from_string]).
 *
 * Returns: (transfer full): the description
 *
 * Since: 1.0
 */
NavSessionDescription *
nav_session_description_new (NavSdpType   type,
                             const gchar *sdp)
{
  NavSessionDescription *self;

  g_return_val_if_fail (sdp != NULL, NULL);

  self = g_atomic_rc_box_new0 (NavSessionDescription);
  self->type = type;
  self->sdp = g_strdup (sdp);
  return self;
}

/**
 * nav_session_description_ref:
 * @self: a description
 *
 * Returns: (transfer full): @self
 *
 * Since: 1.0
 */
NavSessionDescription *
nav_session_description_ref (NavSessionDescription *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return g_atomic_rc_box_acquire (self);
}

/**
 * nav_session_description_unref:
 * @self: (transfer full): a description
 *
 * Since: 1.0
 */
void
nav_session_description_unref (NavSessionDescription *self)
{
  g_return_if_fail (self != NULL);

  g_atomic_rc_box_release_full (self, clear);
}

G_DEFINE_BOXED_TYPE (NavSessionDescription, nav_session_description,
                     nav_session_description_ref, nav_session_description_unref)

/**
 * nav_session_description_get_sdp_type:
 * @self: a description
 *
 * Returns: its type
 *
 * Since: 1.0
 */
NavSdpType
nav_session_description_get_sdp_type (NavSessionDescription *self)
{
  g_return_val_if_fail (self != NULL, NAV_SDP_TYPE_OFFER);

  return self->type;
}

/**
 * nav_session_description_get_sdp:
 * @self: a description
 *
 * Returns: its SDP text
 *
 * Since: 1.0
 */
const gchar *
nav_session_description_get_sdp (NavSessionDescription *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->sdp;
}

static const gchar *const type_names[] = { "offer", "pranswer", "answer", "rollback" };

/**
 * nav_sdp_type_to_string:
 * @type: a type
 *
 * Returns: its name as JSEP spells it (`offer`, `pranswer`, `answer`,
 *   `rollback`), what signaling messages carry
 *
 * Since: 1.0
 */
const gchar *
nav_sdp_type_to_string (NavSdpType type)
{
  g_return_val_if_fail ((guint) type < G_N_ELEMENTS (type_names), NULL);

  return type_names[type];
}

/**
 * nav_sdp_type_from_string:
 * @name: a type's name (`offer`, `pranswer`, `answer`, `rollback`)
 * @type: (out): the type
 *
 * Returns: %FALSE when @name names no type
 *
 * Since: 1.0
 */
gboolean
nav_sdp_type_from_string (const gchar *name,
                          NavSdpType  *type)
{
  guint i;

  g_return_val_if_fail (type != NULL, FALSE);

  for (i = 0; name != NULL && i < G_N_ELEMENTS (type_names); i++)
    if (strcmp (name, type_names[i]) == 0)
      {
        *type = i;
        return TRUE;
      }
  return FALSE;
}

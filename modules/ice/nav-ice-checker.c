/* nav-ice-checker.c: the ICE connectivity checker (RFC 8445)
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <glib/gi18n-lib.h>
#include <netavanue/netavanue.h>

#include "nav-ice-checker.h"

/**
 * NavIceChecker:
 *
 * The ICE checker of the `ice` module: a [iface@Nav.Checker] registered
 * as `ice` at the `nav-checker` extension point.
 *
 * It keeps, per stream, the local and remote credentials (username
 * fragment and password, RFC 8445 §5.3) and, per stream and component,
 * the local and remote candidates, dropping a candidate added twice (same
 * component, transport and address).
 *
 * Incomplete: pairing, check lists, nomination and consent arrive with the
 * ICE tier.  Until then [method@Nav.Checker.start] checks that the stream
 * can be started — it must have its local and remote credentials, else it
 * fails with %NAV_ERROR_INVALID_ARGUMENT — and then fails with
 * %NAV_ERROR_NOT_SUPPORTED.  No signal is emitted.
 *
 * Its methods may be called from any thread.
 *
 * Since: 1.0
 */

/* RFC 8445 §14.2: Ta, the pacing of new checks, defaults to 50 ms. */
#define DEFAULT_STUN_PACING_TIMER 50

typedef struct {
  GPtrArray *local;             /* NavCandidate */
  GPtrArray *remote;            /* NavCandidate */
} Component;

typedef struct {
  guint id;
  gchar *local_ufrag;
  gchar *local_pwd;
  gchar *remote_ufrag;
  gchar *remote_pwd;
  GHashTable *components;       /* component id → Component */
  gboolean remote_gathering_done;
} Stream;

struct _NavIceChecker
{
  GObject parent_instance;

  GMainContext *context;
  gboolean controlling_mode;
  NavIceNominationMode nomination_mode;
  guint stun_pacing_timer;

  GMutex lock;
  GHashTable *streams;          /* stream id → Stream */
};

enum {
  PROP_0,
  PROP_CONTEXT,
  PROP_CONTROLLING_MODE,
  PROP_NOMINATION_MODE,
  PROP_STUN_PACING_TIMER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void nav_ice_checker_checker_init (NavCheckerInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (NavIceChecker, nav_ice_checker, G_TYPE_OBJECT,
                                G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (NAV_TYPE_CHECKER,
                                                               nav_ice_checker_checker_init))

static GType nav_ice_nomination_mode_type = G_TYPE_INVALID;

GType
nav_ice_nomination_mode_get_type (void)
{
  return nav_ice_nomination_mode_type;
}

/**
 * nav_ice_checker_register: (skip)
 * @module: the `ice` module
 *
 * Registers [class@Nav.IceChecker] and [enum@Nav.IceNominationMode] in
 * @module.
 */
void
nav_ice_checker_register (GTypeModule *module)
{
  static const GEnumValue nomination_modes[] = {
    { NAV_ICE_NOMINATION_MODE_REGULAR, "NAV_ICE_NOMINATION_MODE_REGULAR", "regular" },
    { NAV_ICE_NOMINATION_MODE_AGGRESSIVE, "NAV_ICE_NOMINATION_MODE_AGGRESSIVE", "aggressive" },
    { 0, NULL, NULL },
  };

  nav_ice_nomination_mode_type =
    g_type_module_register_enum (module, "NavIceNominationMode", nomination_modes);
  nav_ice_checker_register_type (module);
}

static void
component_free (gpointer data)
{
  Component *component = data;

  g_ptr_array_unref (component->local);
  g_ptr_array_unref (component->remote);
  g_free (component);
}

static void
stream_free (gpointer data)
{
  Stream *stream = data;

  g_free (stream->local_ufrag);
  g_free (stream->local_pwd);
  g_free (stream->remote_ufrag);
  g_free (stream->remote_pwd);
  g_hash_table_unref (stream->components);
  g_free (stream);
}

/* Called with the lock held. */
static Stream *
ensure_stream (NavIceChecker *self,
               guint          stream_id)
{
  Stream *stream = g_hash_table_lookup (self->streams, GUINT_TO_POINTER (stream_id));

  if (stream == NULL)
    {
      stream = g_new0 (Stream, 1);
      stream->id = stream_id;
      stream->components = g_hash_table_new_full (NULL, NULL, NULL, component_free);
      g_hash_table_insert (self->streams, GUINT_TO_POINTER (stream_id), stream);
    }
  return stream;
}

/* Called with the lock held. */
static Component *
ensure_component (Stream *stream,
                  guint   component_id)
{
  Component *component = g_hash_table_lookup (stream->components,
                                               GUINT_TO_POINTER (component_id));

  if (component == NULL)
    {
      component = g_new0 (Component, 1);
      component->local = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
      component->remote = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
      g_hash_table_insert (stream->components, GUINT_TO_POINTER (component_id), component);
    }
  return component;
}

static void
set_credentials (gchar       **ufrag_field,
                 gchar       **pwd_field,
                 const gchar  *ufrag,
                 const gchar  *pwd)
{
  g_free (*ufrag_field);
  g_free (*pwd_field);
  *ufrag_field = g_strdup (ufrag);
  *pwd_field = g_strdup (pwd);
}

static void
nav_ice_checker_set_local_credentials (NavChecker  *checker,
                                       guint        stream_id,
                                       const gchar *ufrag,
                                       const gchar *pwd)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Stream *stream;

  g_mutex_lock (&self->lock);
  stream = ensure_stream (self, stream_id);
  set_credentials (&stream->local_ufrag, &stream->local_pwd, ufrag, pwd);
  g_mutex_unlock (&self->lock);
}

static void
nav_ice_checker_set_remote_credentials (NavChecker  *checker,
                                        guint        stream_id,
                                        const gchar *ufrag,
                                        const gchar *pwd)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Stream *stream;

  g_mutex_lock (&self->lock);
  stream = ensure_stream (self, stream_id);
  /* RFC 8445 §9: new remote credentials are an ICE restart; the pairs of
   * the old ones go with the tier's check lists. */
  set_credentials (&stream->remote_ufrag, &stream->remote_pwd, ufrag, pwd);
  g_mutex_unlock (&self->lock);
}

static gboolean
contains_candidate (GPtrArray          *candidates,
                    const NavCandidate *candidate)
{
  guint i;

  for (i = 0; i < candidates->len; i++)
    {
      const NavCandidate *other = g_ptr_array_index (candidates, i);

      if (other->transport == candidate->transport &&
          nav_candidate_equal_target (other, candidate))
        return TRUE;
    }
  return FALSE;
}

static void
add_candidate (NavIceChecker      *self,
               const NavCandidate *candidate,
               gboolean            local)
{
  Stream *stream;
  Component *component;
  GPtrArray *candidates;

  g_return_if_fail (candidate != NULL);
  g_return_if_fail (candidate->component_id > 0);

  g_mutex_lock (&self->lock);
  stream = ensure_stream (self, candidate->stream_id);
  component = ensure_component (stream, candidate->component_id);
  candidates = local ? component->local : component->remote;
  if (contains_candidate (candidates, candidate))
    g_debug ("Stream %u component %u: %s candidate already known, ignored",
             candidate->stream_id, candidate->component_id, local ? "local" : "remote");
  else
    g_ptr_array_add (candidates, nav_candidate_copy (candidate));
  g_mutex_unlock (&self->lock);
}

static void
nav_ice_checker_add_local_candidate (NavChecker         *checker,
                                     const NavCandidate *candidate)
{
  add_candidate (NAV_ICE_CHECKER (checker), candidate, TRUE);
}

static void
nav_ice_checker_add_remote_candidate (NavChecker         *checker,
                                      const NavCandidate *candidate)
{
  add_candidate (NAV_ICE_CHECKER (checker), candidate, FALSE);
}

static void
nav_ice_checker_remote_gathering_done (NavChecker *checker,
                                       guint       stream_id)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);

  g_mutex_lock (&self->lock);
  ensure_stream (self, stream_id)->remote_gathering_done = TRUE;
  g_mutex_unlock (&self->lock);
}

static gboolean
nav_ice_checker_start (NavChecker  *checker,
                       guint        stream_id,
                       GError     **error)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);
  Stream *stream;
  gboolean has_local, has_remote;

  g_mutex_lock (&self->lock);
  stream = g_hash_table_lookup (self->streams, GUINT_TO_POINTER (stream_id));
  has_local = stream != NULL && stream->local_ufrag != NULL && stream->local_pwd != NULL;
  has_remote = stream != NULL && stream->remote_ufrag != NULL && stream->remote_pwd != NULL;
  g_mutex_unlock (&self->lock);

  /* RFC 8445 §7.2.2: checks are authenticated with the peer's password
   * and answered with ours; without both there is nothing to check. */
  if (!has_local)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("Stream %u has no local credentials"), stream_id);
      return FALSE;
    }
  if (!has_remote)
    {
      g_set_error (error, NAV_ERROR, NAV_ERROR_INVALID_ARGUMENT,
                   _("Stream %u has no remote credentials"), stream_id);
      return FALSE;
    }

  g_set_error_literal (error, NAV_ERROR, NAV_ERROR_NOT_SUPPORTED,
                       _("Connectivity checks arrive with the ICE tier"));
  return FALSE;
}

static void
nav_ice_checker_remove_stream (NavChecker *checker,
                               guint       stream_id)
{
  NavIceChecker *self = NAV_ICE_CHECKER (checker);

  g_mutex_lock (&self->lock);
  g_hash_table_remove (self->streams, GUINT_TO_POINTER (stream_id));
  g_mutex_unlock (&self->lock);
}

static void
nav_ice_checker_checker_init (NavCheckerInterface *iface)
{
  iface->set_local_credentials = nav_ice_checker_set_local_credentials;
  iface->set_remote_credentials = nav_ice_checker_set_remote_credentials;
  iface->add_local_candidate = nav_ice_checker_add_local_candidate;
  iface->add_remote_candidate = nav_ice_checker_add_remote_candidate;
  iface->remote_gathering_done = nav_ice_checker_remote_gathering_done;
  iface->start = nav_ice_checker_start;
  iface->remove_stream = nav_ice_checker_remove_stream;
}

static GPtrArray *
dup_candidates (NavIceChecker *self,
                guint          stream_id,
                guint          component_id,
                gboolean       local)
{
  GPtrArray *copy = g_ptr_array_new_with_free_func ((GDestroyNotify) nav_candidate_free);
  Stream *stream;
  Component *component = NULL;

  g_mutex_lock (&self->lock);
  stream = g_hash_table_lookup (self->streams, GUINT_TO_POINTER (stream_id));
  if (stream != NULL)
    component = g_hash_table_lookup (stream->components, GUINT_TO_POINTER (component_id));
  if (component != NULL)
    {
      GPtrArray *candidates = local ? component->local : component->remote;
      guint i;

      for (i = 0; i < candidates->len; i++)
        g_ptr_array_add (copy, nav_candidate_copy (g_ptr_array_index (candidates, i)));
    }
  g_mutex_unlock (&self->lock);
  return copy;
}

/**
 * nav_ice_checker_dup_local_candidates: (skip)
 * @self: a checker
 * @stream_id: a stream
 * @component_id: a component of the stream
 *
 * Returns: (transfer full): copies of the local candidates added for the
 *   component, in the order they were added; empty when there are none
 */
GPtrArray *
nav_ice_checker_dup_local_candidates (NavIceChecker *self,
                                      guint          stream_id,
                                      guint          component_id)
{
  g_return_val_if_fail (NAV_IS_ICE_CHECKER (self), NULL);

  return dup_candidates (self, stream_id, component_id, TRUE);
}

/**
 * nav_ice_checker_dup_remote_candidates: (skip)
 * @self: a checker
 * @stream_id: a stream
 * @component_id: a component of the stream
 *
 * Returns: (transfer full): copies of the remote candidates added for the
 *   component, in the order they were added; empty when there are none
 */
GPtrArray *
nav_ice_checker_dup_remote_candidates (NavIceChecker *self,
                                       guint          stream_id,
                                       guint          component_id)
{
  g_return_val_if_fail (NAV_IS_ICE_CHECKER (self), NULL);

  return dup_candidates (self, stream_id, component_id, FALSE);
}

/**
 * nav_ice_checker_get_remote_gathering_done: (skip)
 * @self: a checker
 * @stream_id: a stream
 *
 * Returns: whether the peer signalled the end of its candidates for the
 *   stream (RFC 8838 §4)
 */
gboolean
nav_ice_checker_get_remote_gathering_done (NavIceChecker *self,
                                           guint          stream_id)
{
  Stream *stream;
  gboolean done;

  g_return_val_if_fail (NAV_IS_ICE_CHECKER (self), FALSE);

  g_mutex_lock (&self->lock);
  stream = g_hash_table_lookup (self->streams, GUINT_TO_POINTER (stream_id));
  done = stream != NULL && stream->remote_gathering_done;
  g_mutex_unlock (&self->lock);
  return done;
}

static void
nav_ice_checker_constructed (GObject *object)
{
  NavIceChecker *self = NAV_ICE_CHECKER (object);

  G_OBJECT_CLASS (nav_ice_checker_parent_class)->constructed (object);

  if (self->context == NULL)
    self->context = g_main_context_ref_thread_default ();
}

static void
nav_ice_checker_finalize (GObject *object)
{
  NavIceChecker *self = NAV_ICE_CHECKER (object);

  g_hash_table_unref (self->streams);
  g_mutex_clear (&self->lock);
  g_clear_pointer (&self->context, g_main_context_unref);

  G_OBJECT_CLASS (nav_ice_checker_parent_class)->finalize (object);
}

static void
nav_ice_checker_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  NavIceChecker *self = NAV_ICE_CHECKER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      g_value_set_boxed (value, self->context);
      break;
    case PROP_CONTROLLING_MODE:
      g_value_set_boolean (value, self->controlling_mode);
      break;
    case PROP_NOMINATION_MODE:
      g_value_set_enum (value, self->nomination_mode);
      break;
    case PROP_STUN_PACING_TIMER:
      g_value_set_uint (value, self->stun_pacing_timer);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_ice_checker_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  NavIceChecker *self = NAV_ICE_CHECKER (object);

  switch (prop_id)
    {
    case PROP_CONTEXT:
      self->context = g_value_dup_boxed (value);
      break;
    case PROP_CONTROLLING_MODE:
      self->controlling_mode = g_value_get_boolean (value);
      break;
    case PROP_NOMINATION_MODE:
      self->nomination_mode = g_value_get_enum (value);
      break;
    case PROP_STUN_PACING_TIMER:
      self->stun_pacing_timer = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
nav_ice_checker_class_init (NavIceCheckerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = nav_ice_checker_constructed;
  object_class->finalize = nav_ice_checker_finalize;
  object_class->get_property = nav_ice_checker_get_property;
  object_class->set_property = nav_ice_checker_set_property;

  g_object_class_override_property (object_class, PROP_CONTEXT, "context");
  g_object_class_override_property (object_class, PROP_CONTROLLING_MODE, "controlling-mode");

  /**
   * NavIceChecker:nomination-mode:
   *
   * How pairs are nominated when the checker is controlling, as
   * libnice's `nomination-mode`.
   *
   * Since: 1.0
   */
  properties[PROP_NOMINATION_MODE] =
    g_param_spec_enum ("nomination-mode", "Nomination mode",
                       "How the controlling agent nominates pairs (RFC 8445 §8.1.1)",
                       NAV_TYPE_ICE_NOMINATION_MODE,
                       NAV_ICE_NOMINATION_MODE_REGULAR,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  /**
   * NavIceChecker:stun-pacing-timer:
   *
   * Ta, the interval in milliseconds between two new checks
   * (RFC 8445 §14.2), as libnice's `stun-pacing-timer`.
   *
   * Since: 1.0
   */
  properties[PROP_STUN_PACING_TIMER] =
    g_param_spec_uint ("stun-pacing-timer", "STUN pacing timer",
                       "Milliseconds between two new connectivity checks (Ta, RFC 8445 §14.2)",
                       1, G_MAXUINT, DEFAULT_STUN_PACING_TIMER,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);

  g_object_class_install_property (object_class, PROP_NOMINATION_MODE,
                                   properties[PROP_NOMINATION_MODE]);
  g_object_class_install_property (object_class, PROP_STUN_PACING_TIMER,
                                   properties[PROP_STUN_PACING_TIMER]);
}

static void
nav_ice_checker_class_finalize (NavIceCheckerClass *klass)
{
}

static void
nav_ice_checker_init (NavIceChecker *self)
{
  g_mutex_init (&self->lock);
  self->streams = g_hash_table_new_full (NULL, NULL, NULL, stream_free);
}

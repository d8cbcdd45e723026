/* nav-config-private.h: the schemas of NavConfig, private to the core
 *
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "netavanue/netavanue.h"

G_BEGIN_DECLS

/* The settings an interface declares: a GParamSpec each (name, type,
 * range, default), and the messages of its errors, N_() strings taking
 * the setting's name (for wrong_type then the expected and given type
 * names; for out_of_range the value first; for unsupported the
 * implementation's name first). */
typedef struct {
  GType interface;
  GParamSpec **specs;
  guint n_specs;
  const gchar *unknown;
  const gchar *wrong_type;
  const gchar *out_of_range;
  const gchar *unsupported;
} NavConfigSchema;

/* nav-gatherer.c, nav-checker.c */
const NavConfigSchema *nav_gatherer_config_schema (void);
const NavConfigSchema *nav_checker_config_schema  (void);

/* The default of NavGatherer.configure and NavChecker.configure: each
 * setting that is set goes to the writable property of the same name. */
gboolean nav_config_apply_to_object (const NavConfig  *self,
                                     GObject          *object,
                                     GError          **error);

/* Builds a schema from @specs (sunk), once. */
void     nav_config_schema_init     (NavConfigSchema  *schema,
                                     GType             interface,
                                     GParamSpec      **specs,
                                     guint             n_specs);

G_END_DECLS

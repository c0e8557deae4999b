/* zk-sim-fixture-private.h — what the fixture's files share: members
 * read with their path in the error ("devices[2].users[0].uid: …") and
 * written back, and the push terminals' part
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "zk-sim-fixture.h"

G_BEGIN_DECLS

/* always FALSE: sets "PATH.MEMBER: WHAT" (@member may be NULL) */
gboolean zk_sim_json_fail (GError **error, const char *path, const char *member, const char *what);

/* a member, NULL when it is missing or null */
JsonNode *zk_sim_json_member (JsonObject *obj, const char *name);

/* a missing or null member gives @def; a member of another type or out
 * of range is an error naming @path and @name */
gboolean zk_sim_json_get_int (JsonObject *obj,
                              const char *name,
                              gint64 def,
                              gint64 min,
                              gint64 max,
                              gint64 *out,
                              const char *path,
                              GError **error);
gboolean zk_sim_json_get_uint (JsonObject *obj,
                               const char *name,
                               guint def,
                               guint min,
                               guint max,
                               guint *out,
                               const char *path,
                               GError **error);
gboolean zk_sim_json_get_string (JsonObject *obj,
                                 const char *name,
                                 const char *def,
                                 gsize max_len,
                                 const char **out,
                                 const char *path,
                                 GError **error);
gboolean zk_sim_json_get_text (JsonObject *obj,
                               const char *name,
                               const char *def,
                               gsize max_len,
                               char **out,
                               const char *path,
                               GError **error);
gboolean zk_sim_json_get_bool (JsonObject *obj,
                               const char *name,
                               gboolean def,
                               gboolean *out,
                               const char *path,
                               GError **error);
/* NULL in *@out when the member is missing */
gboolean zk_sim_json_get_object (
    JsonObject *obj, const char *name, JsonObject **out, const char *path, GError **error);
gboolean zk_sim_json_get_array (
    JsonObject *obj, const char *name, JsonArray **out, const char *path, GError **error);
JsonObject *
zk_sim_json_element_object (JsonArray *array, guint i, const char *path, GError **error);
GBytes *
zk_sim_json_decode_base64 (const char *text, const char *path, const char *name, GError **error);

void zk_sim_json_add_base64 (JsonBuilder *b, const char *name, GBytes *bytes);
/* NULL is written as "" */
void zk_sim_json_add_string (JsonBuilder *b, const char *name, const char *v);

/* each element of a record array as an object of its members */
void zk_sim_json_add_array (JsonBuilder *b,
                            const char *name,
                            GPtrArray *records,
                            ZkForeachMemberFunc foreach_member);

/* a fixture device with "protocol": "push" at "devices[@index]" (@path) */
GObject *zk_sim_push_fixture_load (JsonObject *obj, guint index, const char *path, GError **error);
JsonNode *zk_sim_push_fixture_to_json (ZkSimPushDevice *device);

G_END_DECLS

/* bsd-person.h — one person of the roster, keyed by PIN
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Shared by the store (the roster table) and the planner (the winning
 * record of each PIN).
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/* a central-edit entry is written as a whole: it carries the person's
 * full record, not only the edited fields */
typedef struct
{
  char *pin; /* the user_id string of the terminals */
  char *name;
  guint8 privilege;
  char *password;
  guint32 card;
  guint8 group;
  gint64 updated_at;     /* µs since the epoch, 0 = unknown */
  gboolean central_edit; /* edited through biosync: wins over device records */
} BsdPerson;

#define BSD_TYPE_PERSON (bsd_person_get_type ())
GType bsd_person_get_type (void) G_GNUC_CONST;

/* empty name and password, never NULL strings */
BsdPerson *bsd_person_new (const char *pin);
BsdPerson *bsd_person_copy (const BsdPerson *person);
void bsd_person_free (BsdPerson *person);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsdPerson, bsd_person_free)

G_END_DECLS

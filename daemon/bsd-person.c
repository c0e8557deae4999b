/* bsd-person.c — one person of the roster
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-person.h"

G_DEFINE_BOXED_TYPE (BsdPerson, bsd_person, bsd_person_copy, bsd_person_free)

BsdPerson *
bsd_person_new (const char *pin)
{
  BsdPerson *person = g_new0 (BsdPerson, 1);

  person->pin = g_strdup (pin ? pin : "");
  person->name = g_strdup ("");
  person->password = g_strdup ("");
  return person;
}

BsdPerson *
bsd_person_copy (const BsdPerson *person)
{
  BsdPerson *copy;

  g_return_val_if_fail (person != NULL, NULL);

  copy = g_new0 (BsdPerson, 1);
  *copy = *person;
  copy->pin = g_strdup (person->pin ? person->pin : "");
  copy->name = g_strdup (person->name ? person->name : "");
  copy->password = g_strdup (person->password ? person->password : "");
  return copy;
}

void
bsd_person_free (BsdPerson *person)
{
  if (person == NULL)
    return;
  g_free (person->pin);
  g_free (person->name);
  g_free (person->password);
  g_free (person);
}

/* bs-person-dialog.h — BsPersonDialog: a central edit of a person
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bs-variant-item.h"
#include "bs-window.h"

G_BEGIN_DECLS

#define BS_TYPE_PERSON_DIALOG (bs_person_dialog_get_type ())
G_DECLARE_FINAL_TYPE (BsPersonDialog, bs_person_dialog, BS, PERSON_DIALOG, AdwWindow)

/* @person: an entry of ListUsers */
BsPersonDialog *bs_person_dialog_new (BsWindow *window, BsVariantItem *person);

G_END_DECLS

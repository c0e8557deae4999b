/* bs-main.c — biosync, the desktop app
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>

#include "bs-application.h"

int
main (int argc, char *argv[])
{
  g_autoptr (BsApplication) app = NULL;
  const char *localedir = g_getenv ("BIOSYNC_LOCALEDIR");

  setlocale (LC_ALL, "");
  /* the build tree's catalogs (tests, ./run demo) instead of the installed ones */
  if (localedir == NULL || *localedir == '\0')
    localedir = LOCALEDIR;
  bindtextdomain (GETTEXT_PACKAGE, localedir);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_set_application_name (_ ("BioSync"));
  app = bs_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}

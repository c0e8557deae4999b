/* bsd-fd.c — reading and writing a caller's descriptor without trusting the caller
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bsd-fd.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>

#include "bs-error.h"

/* waits until @fd is ready for @events: FALSE after the stall time */
static gboolean
wait_ready (int fd, short events, const char *what, GError **error)
{
  for (;;)
    {
      struct pollfd pfd = { fd, events, 0 };
      int ready = poll (&pfd, 1, BSD_FD_STALL_MS);

      if (ready < 0 && errno == EINTR)
        continue;
      if (ready == 0)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_TIMED_OUT, "%s: nothing moved for %d s", what,
                       BSD_FD_STALL_MS / 1000);
          return FALSE;
        }
      /* errors show in the read or write that follows */
      return TRUE;
    }
}

static void
set_errno_error (GError **error, const char *what, int saved_errno)
{
  g_set_error (error, BS_ERROR, BS_ERROR_FAILED, "%s: %s", what, g_strerror (saved_errno));
}

gboolean
bsd_fd_write_all (int fd, const char *data, gsize len, const char *what, GError **error)
{
  while (len > 0)
    {
      gssize n;

      if (!wait_ready (fd, POLLOUT, what, error))
        return FALSE;
      /* after POLLOUT a pipe takes PIPE_BUF bytes without blocking */
      n = write (fd, data, MIN (len, PIPE_BUF));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          set_errno_error (error, what, errno);
          return FALSE;
        }
      data += n;
      len -= (gsize)n;
    }
  return TRUE;
}

gssize
bsd_fd_read (int fd, char *buffer, gsize len, const char *what, GError **error)
{
  for (;;)
    {
      gssize n;

      if (!wait_ready (fd, POLLIN, what, error))
        return -1;
      n = read (fd, buffer, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        set_errno_error (error, what, errno);
      return n;
    }
}

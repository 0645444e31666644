/* eventfds: the doorbells. */
#include "famez.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <sys/eventfd.h>
#include <unistd.h>

napi_value efd_create(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "eventfd");
  return make_int(env, fd);
}

/* eventfdWrite(fd, n) -> true, or false if the counter is full (EAGAIN). */
napi_value efd_write(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  uint64_t add;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd) || !arg_size(env, argv[1], &add) || add == 0)
    return throw_type(env, "eventfdWrite(fd: number, count: positive integer)");
  ssize_t n;
  do n = write(fd, &add, sizeof add);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN) return make_bool(env, false);
    return throw_errno(env, errno, "write");
  }
  return make_bool(env, true);
}

/* How a drain reads without blocking, decided once by probe_read_mode():
 * preadv2(RWF_NOWAIT), one system call that gives EAGAIN on an empty counter
 * whatever the fd's flags; or, where the kernel refuses RWF_NOWAIT on an
 * eventfd, poll() and then read(). FAMEZ_EVENTFD_READ=poll forces the latter. */
enum { READ_POLL = 1, READ_PREADV2 = 2 };
static int read_mode;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void probe_read_mode(void) {
  const char *forced = getenv("FAMEZ_EVENTFD_READ");
  read_mode = READ_POLL;
  if (forced && strcmp(forced, "poll") == 0) return;
  /* Blocking, counter 0: only a kernel that honours RWF_NOWAIT here answers EAGAIN
   * (others refuse the flag: EOPNOTSUPP, EINVAL, ENOSYS). */
  int fd = eventfd(0, EFD_CLOEXEC);
  if (fd < 0) return;
  uint64_t value;
  struct iovec iov = {.iov_base = &value, .iov_len = sizeof value};
  if (preadv2(fd, &iov, 1, -1, RWF_NOWAIT) < 0 && errno == EAGAIN) read_mode = READ_PREADV2;
  close(fd);
}

bool eventfd_nowait_reads(void) {
  pthread_once(&probe_once, probe_read_mode);
  return read_mode == READ_PREADV2;
}

/* One read of the counter: the count, 0 if there is none (EAGAIN), <0 = -errno.
 * With `nowait` it cannot block; -EOPNOTSUPP if this fd refuses RWF_NOWAIT. */
static int64_t read_counter(int fd, bool nowait) {
  uint64_t value;
  struct iovec iov = {.iov_base = &value, .iov_len = sizeof value};
  ssize_t n;
  do n = nowait ? preadv2(fd, &iov, 1, -1, RWF_NOWAIT) : read(fd, &value, sizeof value);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EAGAIN ? 0 : -errno;
  /* An eventfd gives 8 bytes or nothing: anything else is not an eventfd. */
  if (n != sizeof value) return -EIO;
  return (int64_t)(value > INT64_MAX ? INT64_MAX : value);
}

/* Reads and resets an eventfd's counter without blocking past timeout_ms, even
 * on an eventfd whose O_NONBLOCK is off (its flags are shared with other
 * processes and must not be changed). 0 = nothing pending; <0 = -errno.
 * Without a timeout (0), one preadv2(RWF_NOWAIT) where the kernel takes it. */
int64_t drain_eventfd(int fd, int timeout_ms) {
  bool nowait = eventfd_nowait_reads();
  if (nowait && timeout_ms == 0) {
    int64_t r = read_counter(fd, true);
    if (r != -EOPNOTSUPP) return r;
    nowait = false; /* not an eventfd that takes it: poll first */
  }
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r;
  do r = poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  if (p.revents & POLLNVAL) return -EBADF;
  if (r == 0 || !(p.revents & (POLLIN | POLLERR))) return 0;
  /* Another reader may take the count between the poll and the read. A bounded
   * wait must not outlast its time: RWF_NOWAIT. An unbounded one reads with
   * read(), a little cheaper here than preadv2() (0.3 us a hop in the bench's
   * worker-thread ping-pong), which at worst waits for the next ring: what its
   * caller waits for anyway. */
  int64_t count = read_counter(fd, nowait && timeout_ms > 0);
  return count == -EOPNOTSUPP ? read_counter(fd, false) : count;
}

/* eventfdReadMode(): 'preadv2' or 'poll', how drains read (see probe_read_mode). */
napi_value efd_read_mode(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value mode;
  CHECK(napi_create_string_utf8(env, eventfd_nowait_reads() ? "preadv2" : "poll", NAPI_AUTO_LENGTH, &mode));
  return mode;
}

napi_value efd_read(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd)) return throw_type(env, "eventfdRead(fd: number)");
  int64_t r = drain_eventfd(fd, 0);
  if (r < 0) return throw_errno(env, (int)-r, "read");
  return make_double(env, (double)r);
}

/* Blocks until fd is rung (or timeout ms pass; -1 = no limit), then drains it: the count, or 0 on timeout. */
static napi_value wait_drain(napi_env env, int fd, int64_t timeout) {
  int64_t r = 0;
  /* Without a limit, a plain read() first: on an fd made blocking for its
   * waiting thread (eventfdSetBlocking) the wait is that one system call, as
   * C's own floor; on a non-blocking one it answers EAGAIN and the poll
   * follows. A count taken by another reader first is waited past. */
  if (timeout < 0) r = read_counter(fd, false);
  while (r == 0) {
    r = drain_eventfd(fd, (int)timeout);
    if (timeout >= 0) break;
  }
  if (r < 0) return throw_errno(env, (int)-r, "read");
  return make_double(env, (double)r);
}

/* eventfdWait(fd, timeoutMs): BLOCKS the calling thread until the eventfd
 * is rung (or timeoutMs pass; -1 = no limit), then drains it: the count, or
 * 0 on timeout. For a dedicated worker thread: it skips the event loop's
 * wake-up, and holds its thread the whole time. */
napi_value efd_wait(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  int64_t timeout;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd) || !arg_int(env, argv[1], &timeout) || timeout < -1 || timeout > INT_MAX)
    return throw_type(env, "eventfdWait(fd: number, timeoutMs: integer >= -1)");
  return wait_drain(env, fd, timeout);
}

/* eventfdRingWait(ringFd, waitFd, timeoutMs): rings ringFd (a full counter
 * is left as it is), then waits on waitFd as eventfdWait does. A worker
 * thread's ping-pong then crosses into C once per hop, not twice: a call
 * costs about as much as a system call here. */
napi_value efd_ring_wait(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int ring_fd, wait_fd;
  int64_t timeout;
  if (!get_args(env, info, 3, argv)) return NULL;
  if (!arg_fd(env, argv[0], &ring_fd) || !arg_fd(env, argv[1], &wait_fd) || !arg_int(env, argv[2], &timeout) ||
      timeout < -1 || timeout > INT_MAX)
    return throw_type(env, "eventfdRingWait(ringFd: number, waitFd: number, timeoutMs: integer >= -1)");
  uint64_t one = 1;
  ssize_t n;
  do n = write(ring_fd, &one, sizeof one);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno != EAGAIN) return throw_errno(env, errno, "write");
  return wait_drain(env, wait_fd, timeout);
}

/* eventfdSetBlocking(fd, blocking): turns the fd's O_NONBLOCK off (true) or
 * on (false). The flag belongs to the open file, which every holder of the
 * eventfd shares: for a doorbell given over to one waiting thread. */
napi_value efd_set_blocking(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  bool blocking;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd) || napi_get_value_bool(env, argv[1], &blocking) != napi_ok)
    return throw_type(env, "eventfdSetBlocking(fd: number, blocking: boolean)");
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return throw_errno(env, errno, "fcntl");
  int wanted = blocking ? flags & ~O_NONBLOCK : flags | O_NONBLOCK;
  if (wanted != flags && fcntl(fd, F_SETFL, wanted) < 0) return throw_errno(env, errno, "fcntl");
  return undefined(env);
}

/* isEventfd(fd): whether fd is an eventfd (a server could hand a pipe or a
 * memfd as a doorbell; such an fd would make a watcher spin). */
napi_value efd_is_eventfd(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  char link[64], target[64];
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd)) return throw_type(env, "isEventfd(fd: number)");
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  if (n < 0) return throw_errno(env, errno == ENOENT ? EBADF : errno, "readlink");
  target[n] = 0;
  return make_bool(env, strcmp(target, "anon_inode:[eventfd]") == 0);
}

/* eventfds: the doorbells. */
#include "famez.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <poll.h>
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

/* Reads and resets an eventfd's counter without ever blocking, even on an
 * eventfd whose O_NONBLOCK is off (its flags are shared with other processes
 * and must not be changed). 0 = nothing pending; <0 = -errno. */
int64_t drain_eventfd(int fd, int timeout_ms) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  int r;
  do r = poll(&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  if (r < 0) return -errno;
  if (p.revents & POLLNVAL) return -EBADF;
  if (r == 0 || !(p.revents & (POLLIN | POLLERR))) return 0;
  uint64_t value;
  ssize_t n;
  do n = read(fd, &value, sizeof value);
  while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EAGAIN ? 0 : -errno;
  /* An eventfd gives 8 bytes or nothing: anything else is not an eventfd. */
  if (n != sizeof value) return -EIO;
  return (int64_t)(value > INT64_MAX ? INT64_MAX : value);
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
  int64_t r;
  /* Without a limit, a count taken by another reader first is waited past. */
  do r = drain_eventfd(fd, (int)timeout);
  while (r == 0 && timeout < 0);
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

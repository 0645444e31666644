/*
 * famez native layer: the operating-system primitives Node.js lacks.
 * UNIX sockets with fd passing, eventfd, shared memory, mmap and an fd
 * watcher on libuv's uv_poll. Plain C, Node-API version 8.
 * Every failure throws an Error with .code (errno name), .errno, .syscall.
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS_IN 16   /* control buffer room for received fds */
#define MAX_BYTES 65536 /* largest single receive */

/* ---- helpers ------------------------------------------------------------ */

#define CHECK(call)                                                            \
  do {                                                                         \
    if ((call) != napi_ok) return fail_napi(env, #call);                       \
  } while (0)

static napi_value fail_napi(napi_env env, const char *what) {
  const napi_extended_error_info *info = NULL;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!pending) {
    napi_get_last_error_info(env, &info);
    napi_throw_error(env, "ENAPI",
                     info && info->error_message ? info->error_message : what);
  }
  return NULL;
}

/* Throw Error("<syscall>: <message>") with code, errno and syscall set. */
static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  const char *name = strerrorname_np(err);
  char text[256];
  snprintf(text, sizeof text, "%s %s: %s", syscall, name ? name : "E?",
           strerror(err));
  napi_value msg, code, error, num, sc;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH,
                          &code);
  napi_create_error(env, code, msg, &error);
  napi_create_int32(env, err, &num);
  napi_set_named_property(env, error, "errno", num);
  napi_create_string_utf8(env, syscall, NAPI_AUTO_LENGTH, &sc);
  napi_set_named_property(env, error, "syscall", sc);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", message);
  return NULL;
}

static napi_value make_int(napi_env env, int64_t v) {
  napi_value out;
  napi_create_int64(env, v, &out);
  return out;
}

static napi_value make_double(napi_env env, double v) {
  napi_value out;
  napi_create_double(env, v, &out);
  return out;
}

static napi_value make_bool(napi_env env, bool v) {
  napi_value out;
  napi_get_boolean(env, v, &out);
  return out;
}

static napi_value undefined(napi_env env) {
  napi_value out;
  napi_get_undefined(env, &out);
  return out;
}

static bool get_args(napi_env env, napi_callback_info info, size_t want,
                     napi_value *argv) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)
    return false;
  for (size_t i = argc; i < want; i++) argv[i] = undefined(env);
  return true;
}

/* A finite integer within int64 (fractions, NaN and infinities refused). */
static bool arg_int(napi_env env, napi_value v, int64_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  if (napi_get_value_double(env, v, &d) != napi_ok) return false;
  if (!(d >= -9007199254740991.0 && d <= 9007199254740991.0) || d != (double)(int64_t)d)
    return false;
  *out = (int64_t)d;
  return true;
}

static bool arg_fd(napi_env env, napi_value v, int *fd) {
  int64_t n;
  if (!arg_int(env, v, &n) || n < 0 || n > INT_MAX) return false;
  *fd = (int)n;
  return true;
}

/* A non-negative integer that a double holds exactly (sizes, offsets). */
static bool arg_size(napi_env env, napi_value v, uint64_t *out) {
  double d;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return false;
  napi_get_value_double(env, v, &d);
  if (!(d >= 0) || d > 9007199254740991.0 || d != (double)(uint64_t)d)
    return false;
  *out = (uint64_t)d;
  return true;
}

static bool arg_bool(napi_env env, napi_value v) {
  bool b = false;
  napi_get_value_bool(env, v, &b);
  return b;
}

/* Copies a JS string into buf; false if it is not a string or too long. */
static bool arg_string(napi_env env, napi_value v, char *buf, size_t size) {
  size_t len;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return false;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok)
    return false;
  return len < size - 1 && strlen(buf) == len;
}

static bool fill_sockaddr(const char *path, struct sockaddr_un *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr->sun_path) return false;
  strcpy(addr->sun_path, path);
  return true;
}

/* ---- UNIX stream sockets ------------------------------------------------ */

/* listen(path, mode, group, backlog) -> fd. The socket file is born with at
 * most `mode` (Linux takes bind's file mode from the socket inode), then set
 * to exactly `mode` and given `group` (-1: unchanged) before it listens, so
 * nobody connects while it is still the wrong group. bind never replaces an
 * existing path. */
static napi_value sock_listen(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  char path[PATH_MAX];
  int64_t mode, group, backlog;
  struct sockaddr_un addr;
  if (!get_args(env, info, 4, argv)) return NULL;
  if (!arg_string(env, argv[0], path, sizeof path) || !arg_int(env, argv[1], &mode) ||
      !arg_int(env, argv[2], &group) || !arg_int(env, argv[3], &backlog))
    return throw_type(env, "listen(path: string, mode: number, group: number, backlog: number)");
  if (!fill_sockaddr(path, &addr)) return throw_errno(env, ENAMETOOLONG, "bind");
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  if (fchmod(fd, (mode_t)mode & 0777) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "fchmod");
  }
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "bind");
  }
  const char *failed = NULL;
  if (chmod(path, (mode_t)mode & 07777) < 0) failed = "chmod";
  else if (group >= 0 && lchown(path, (uid_t)-1, (gid_t)group) < 0) failed = "chown";
  else if (listen(fd, (int)backlog) < 0) failed = "listen";
  if (failed) {
    int err = errno;
    unlink(path);
    close(fd);
    return throw_errno(env, err, failed);
  }
  return make_int(env, fd);
}

/* adoptListener(fd): checks that an inherited fd (systemd socket activation)
 * is a listening AF_UNIX stream socket, and makes it non-blocking and
 * close-on-exec as famez's own listening sockets are. */
static napi_value sock_adopt_listener(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd, domain = 0, type = 0, listening = 0;
  socklen_t len = sizeof(int);
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd)) return throw_type(env, "adoptListener(fd: number)");
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0) return throw_errno(env, errno, "getsockopt");
  len = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) return throw_errno(env, errno, "getsockopt");
  len = sizeof(int);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0) return throw_errno(env, errno, "getsockopt");
  if (domain != AF_UNIX || type != SOCK_STREAM || !listening) return throw_errno(env, ENOTSOCK, "adoptListener");
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
    return throw_errno(env, errno, "fcntl");
  return undefined(env);
}

/* accept(fd) -> new non-blocking fd, or -1 when no connection is waiting. */
static napi_value sock_accept(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd)) return throw_type(env, "accept(fd: number)");
  int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  if (c < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ECONNABORTED ||
        errno == EINTR)
      return make_int(env, -1);
    return throw_errno(env, errno, "accept");
  }
  return make_int(env, c);
}

/* connect(path) -> non-blocking fd. EAGAIN means the listener's backlog is
 * full; ECONNREFUSED means nobody listens (a stale socket file). */
static napi_value sock_connect(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char path[PATH_MAX];
  struct sockaddr_un addr;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_string(env, argv[0], path, sizeof path))
    return throw_type(env, "connect(path: string)");
  if (!fill_sockaddr(path, &addr)) return throw_errno(env, ENAMETOOLONG, "connect");
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, err, "connect");
  }
  return make_int(env, fd);
}

static napi_value fd_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd)) return throw_type(env, "close(fd: number)");
  /* Linux releases the fd even when close reports EINTR: never retry. */
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, errno, "close");
  return undefined(env);
}

/* peerCredentials(fd) -> { pid, uid, gid } of the process at the other end. */
static napi_value sock_peer_cred(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  int fd;
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd)) return throw_type(env, "peerCredentials(fd: number)");
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
    return throw_errno(env, errno, "getsockopt");
  CHECK(napi_create_object(env, &out));
  napi_set_named_property(env, out, "pid", make_int(env, cred.pid));
  napi_set_named_property(env, out, "uid", make_int(env, cred.uid));
  napi_set_named_property(env, out, "gid", make_int(env, cred.gid));
  return out;
}

/* send(fd, bytes, passFd) -> bytes sent, or -1 when it would block.
 * One sendmsg, at most one fd (passFd < 0: none). */
static napi_value sock_send(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int fd;
  int64_t pass;
  void *data;
  size_t len;
  bool is_typed;
  if (!get_args(env, info, 3, argv)) return NULL;
  napi_is_typedarray(env, argv[1], &is_typed);
  if (!arg_fd(env, argv[0], &fd) || !is_typed || !arg_int(env, argv[2], &pass) ||
      pass > INT_MAX)
    return throw_type(env, "send(fd: number, bytes: Uint8Array, passFd: number)");
  napi_typedarray_type type;
  CHECK(napi_get_typedarray_info(env, argv[1], &type, &len, &data, NULL, NULL));
  if (type != napi_uint8_array) return throw_type(env, "send: bytes must be a Uint8Array");
  /* The kernel drops an fd that comes with no bytes. */
  if (len == 0) return throw_type(env, "send: bytes must not be empty");

  struct iovec iov = {.iov_base = data, .iov_len = len};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  union {
    char buf[CMSG_SPACE(sizeof(int))];
    struct cmsghdr align;
  } control;
  if (pass >= 0) {
    int pfd = (int)pass;
    memset(&control, 0, sizeof control);
    msg.msg_control = control.buf;
    msg.msg_controllen = sizeof control.buf;
    struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cmsg), &pfd, sizeof pfd);
  }
  ssize_t n;
  do n = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return make_int(env, -1);
    return throw_errno(env, errno, "sendmsg");
  }
  return make_int(env, n);
}

/* receive(fd, length) -> { bytes, fds, truncated } or null when nothing is
 * waiting. Asks for at most `length` bytes, so that a message's fd never
 * arrives with the next message's bytes. bytes.length 0 means end of stream.
 * The caller owns every fd in fds. */
static napi_value sock_receive(napi_env env, napi_callback_info info) {
  napi_value argv[2], out, bytes, fds;
  int fd;
  int64_t want;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd) || !arg_int(env, argv[1], &want) || want < 1 ||
      want > MAX_BYTES)
    return throw_type(env, "receive(fd: number, length: 1..65536)");
  void *data;
  napi_value ab;
  CHECK(napi_create_arraybuffer(env, (size_t)want, &data, &ab));
  union {
    char buf[CMSG_SPACE(sizeof(int) * MAX_FDS_IN)];
    struct cmsghdr align;
  } control;
  struct iovec iov = {.iov_base = data, .iov_len = (size_t)want};
  struct msghdr msg = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = control.buf,
                       .msg_controllen = sizeof control.buf};
  ssize_t n;
  do n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      napi_value nul;
      napi_get_null(env, &nul);
      return nul;
    }
    return throw_errno(env, errno, "recvmsg");
  }
  CHECK(napi_create_array(env, &fds));
  uint32_t count = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < nfd; i++) {
      int got;
      memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof got);
      napi_set_element(env, fds, count++, make_int(env, got));
    }
  }
  CHECK(napi_create_typedarray(env, napi_uint8_array, (size_t)n, ab, 0, &bytes));
  CHECK(napi_create_object(env, &out));
  napi_set_named_property(env, out, "bytes", bytes);
  napi_set_named_property(env, out, "fds", fds);
  napi_set_named_property(env, out, "truncated",
                          make_bool(env, (msg.msg_flags & MSG_CTRUNC) != 0));
  return out;
}

/* ---- eventfd ------------------------------------------------------------ */

static napi_value efd_create(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "eventfd");
  return make_int(env, fd);
}

/* eventfdWrite(fd, n) -> true, or false if the counter is full (EAGAIN). */
static napi_value efd_write(napi_env env, napi_callback_info info) {
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
static int64_t drain_eventfd(int fd, int timeout_ms) {
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
  return (int64_t)(value > INT64_MAX ? INT64_MAX : value);
}

static napi_value efd_read(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd)) return throw_type(env, "eventfdRead(fd: number)");
  int64_t r = drain_eventfd(fd, 0);
  if (r < 0) return throw_errno(env, (int)-r, "read");
  return make_double(env, (double)r);
}

/* eventfdWait(fd, timeoutMs): BLOCKS the calling thread until the eventfd
 * is rung (or timeoutMs pass; -1 = no limit), then drains it: the count, or
 * 0 on timeout. For a dedicated worker thread: it skips the event loop's
 * wake-up, and holds its thread the whole time. */
static napi_value efd_wait(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  int64_t timeout;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd) || !arg_int(env, argv[1], &timeout) || timeout < -1 || timeout > INT_MAX)
    return throw_type(env, "eventfdWait(fd: number, timeoutMs: integer >= -1)");
  int64_t r;
  /* Without a limit, a count taken by another reader first is waited past. */
  do r = drain_eventfd(fd, (int)timeout);
  while (r == 0 && timeout < 0);
  if (r < 0) return throw_errno(env, (int)-r, "read");
  return make_double(env, (double)r);
}

/* ---- shared memory and files -------------------------------------------- */

static int open_flags(napi_env env, napi_value opts) {
  napi_value v;
  int flags = O_CLOEXEC;
  bool has;
  napi_has_named_property(env, opts, "readOnly", &has);
  if (has && (napi_get_named_property(env, opts, "readOnly", &v), arg_bool(env, v)))
    flags |= O_RDONLY;
  else
    flags |= O_RDWR;
  napi_has_named_property(env, opts, "create", &has);
  if (has && (napi_get_named_property(env, opts, "create", &v), arg_bool(env, v)))
    flags |= O_CREAT;
  napi_has_named_property(env, opts, "exclusive", &has);
  if (has && (napi_get_named_property(env, opts, "exclusive", &v), arg_bool(env, v)))
    flags |= O_EXCL;
  return flags;
}

static bool get_open_args(napi_env env, napi_callback_info info, char *name,
                          size_t size, int *flags, int64_t *mode) {
  napi_value argv[3];
  napi_valuetype t;
  if (!get_args(env, info, 3, argv)) return false;
  if (!arg_string(env, argv[0], name, size) ||
      napi_typeof(env, argv[1], &t) != napi_ok || t != napi_object ||
      !arg_int(env, argv[2], mode)) {
    throw_type(env, "(name: string, { create?, exclusive?, readOnly? }, mode: number)");
    return false;
  }
  *flags = open_flags(env, argv[1]);
  return true;
}

/* shmOpen(name, flags, mode) -> fd of a POSIX shared-memory object. */
static napi_value shm_open_js(napi_env env, napi_callback_info info) {
  char name[NAME_MAX + 2];
  int flags;
  int64_t mode;
  if (!get_open_args(env, info, name, sizeof name, &flags, &mode)) return NULL;
  int fd = shm_open(name, flags, (mode_t)mode);
  if (fd < 0) return throw_errno(env, errno, "shm_open");
  return make_int(env, fd);
}

static napi_value shm_unlink_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[NAME_MAX + 2];
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_string(env, argv[0], name, sizeof name))
    return throw_type(env, "shmUnlink(name: string)");
  if (shm_unlink(name) < 0) return throw_errno(env, errno, "shm_unlink");
  return undefined(env);
}

/* openFile(path, flags, mode) -> fd of a regular file. */
static napi_value file_open(napi_env env, napi_callback_info info) {
  char path[PATH_MAX];
  int flags;
  int64_t mode;
  if (!get_open_args(env, info, path, sizeof path, &flags, &mode)) return NULL;
  int fd;
  do fd = open(path, flags, (mode_t)mode);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return throw_errno(env, errno, "open");
  return make_int(env, fd);
}

/* openInDirectory(dir) -> fd of a new file in dir (hugetlbfs, tmpfs, ...)
 * that is unlinked at once, as QEMU's server does with -m. */
static napi_value file_open_in_dir(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char path[PATH_MAX];
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_string(env, argv[0], path, sizeof path - 16))
    return throw_type(env, "openInDirectory(dir: string)");
  strcat(path, "/famez.XXXXXX");
  int fd = mkostemp(path, O_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "mkostemp");
  unlink(path);
  return make_int(env, fd);
}

static napi_value memfd_create_js(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char name[250];
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_string(env, argv[0], name, sizeof name))
    return throw_type(env, "memfdCreate(name: string)");
  int fd = memfd_create(name, MFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, errno, "memfd_create");
  return make_int(env, fd);
}

static napi_value file_truncate(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  int fd;
  uint64_t size;
  if (!get_args(env, info, 2, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd) || !arg_size(env, argv[1], &size))
    return throw_type(env, "ftruncate(fd: number, size: number)");
  int r;
  do r = ftruncate(fd, (off_t)size);
  while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, errno, "ftruncate");
  return undefined(env);
}

static napi_value file_allocate(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  int fd;
  uint64_t off, len;
  if (!get_args(env, info, 3, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd) || !arg_size(env, argv[1], &off) ||
      !arg_size(env, argv[2], &len))
    return throw_type(env, "fallocate(fd: number, offset: number, length: number)");
  int r;
  do r = fallocate(fd, 0, (off_t)off, (off_t)len);
  while (r < 0 && errno == EINTR);
  if (r < 0) return throw_errno(env, errno, "fallocate");
  return undefined(env);
}

/* stat(fd) -> { size, type: 'file' | 'socket' | 'other', blocks } */
static napi_value file_stat(napi_env env, napi_callback_info info) {
  napi_value argv[1], out, type;
  int fd;
  struct stat st;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd)) return throw_type(env, "fstat(fd: number)");
  if (fstat(fd, &st) < 0) return throw_errno(env, errno, "fstat");
  const char *kind = S_ISREG(st.st_mode)    ? "file"
                     : S_ISSOCK(st.st_mode) ? "socket"
                                            : "other";
  CHECK(napi_create_object(env, &out));
  napi_create_string_utf8(env, kind, NAPI_AUTO_LENGTH, &type);
  napi_set_named_property(env, out, "size", make_double(env, (double)st.st_size));
  napi_set_named_property(env, out, "allocated",
                          make_double(env, (double)st.st_blocks * 512.0));
  napi_set_named_property(env, out, "type", type);
  return out;
}

static napi_value file_sync(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd)) return throw_type(env, "fsync(fd: number)");
  if (fsync(fd) < 0 && errno != EINVAL && errno != EROFS)
    return throw_errno(env, errno, "fsync");
  return undefined(env);
}

/* ---- mmap ---------------------------------------------------------------- */

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

/* Unmapping happens in the finalizer only; an explicit unmap replaces the
 * pages with an inaccessible reservation, so no address is ever freed twice
 * or reused while V8 still holds the buffer. */
static void mapping_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  size_t page = page_size();
  uintptr_t start = (uintptr_t)data & ~(uintptr_t)(page - 1);
  size_t len = (size_t)(uintptr_t)hint + ((uintptr_t)data - start);
  munmap((void *)start, len);
}

/* Marks the ArrayBuffers that map() made, so unmap() touches no other. */
static const napi_type_tag MAPPING_TAG = {0x66616d657a6d6170ULL, 0x6d617070696e6721ULL};

static bool is_mapping(napi_env env, napi_value value) {
  bool is_ab = false, tagged = false;
  if (napi_is_arraybuffer(env, value, &is_ab) != napi_ok || !is_ab) return false;
  return napi_check_object_type_tag(env, value, &MAPPING_TAG, &tagged) == napi_ok && tagged;
}

/* map(fd, offset, length, writable) -> ArrayBuffer over the file's bytes. */
static napi_value mem_map(napi_env env, napi_callback_info info) {
  napi_value argv[4], out;
  int fd;
  uint64_t offset, length;
  if (!get_args(env, info, 4, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd) || !arg_size(env, argv[1], &offset) ||
      !arg_size(env, argv[2], &length))
    return throw_type(env, "map(fd: number, offset: number, length: number, writable: boolean)");
  if (length == 0 || length > ((uint64_t)4 << 30))
    return throw_errno(env, EINVAL, "mmap");
  bool writable = arg_bool(env, argv[3]);
  struct stat st;
  if (fstat(fd, &st) < 0) return throw_errno(env, errno, "fstat");
  /* Touching a page past the end of a file kills the process (SIGBUS). */
  if (S_ISREG(st.st_mode) && offset + length > (uint64_t)st.st_size)
    return throw_errno(env, EINVAL, "mmap");
  size_t page = page_size();
  uint64_t start = offset & ~(uint64_t)(page - 1);
  size_t delta = (size_t)(offset - start);
  void *base = mmap(NULL, (size_t)length + delta,
                    PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd,
                    (off_t)start);
  if (base == MAP_FAILED) return throw_errno(env, errno, "mmap");
  char *data = (char *)base + delta;
  if (napi_create_external_arraybuffer(env, data, (size_t)length, mapping_finalize,
                                       (void *)(uintptr_t)length, &out) != napi_ok) {
    munmap(base, (size_t)length + delta);
    return fail_napi(env, "napi_create_external_arraybuffer");
  }
  CHECK(napi_type_tag_object(env, out, &MAPPING_TAG));
  return out;
}

/* unmap(buffer): release the pages now and detach the buffer. */
static napi_value mem_unmap(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data;
  size_t length;
  bool detached = false;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!is_mapping(env, argv[0])) return throw_type(env, "unmap(buffer: ArrayBuffer from map())");
  napi_is_detached_arraybuffer(env, argv[0], &detached);
  if (detached) return undefined(env);
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  size_t page = page_size();
  uintptr_t start = (uintptr_t)data & ~(uintptr_t)(page - 1);
  size_t len = length + ((uintptr_t)data - start);
  if (mmap((void *)start, len, PROT_NONE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1,
           0) == MAP_FAILED)
    return throw_errno(env, errno, "mmap");
  CHECK(napi_detach_arraybuffer(env, argv[0]));
  return undefined(env);
}

/* msync(buffer): write a file-backed mapping's dirty pages to the file. */
static napi_value mem_sync(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  void *data;
  size_t length;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!is_mapping(env, argv[0])) return throw_type(env, "msync(buffer: ArrayBuffer from map())");
  CHECK(napi_get_arraybuffer_info(env, argv[0], &data, &length));
  size_t page = page_size();
  uintptr_t start = (uintptr_t)data & ~(uintptr_t)(page - 1);
  if (length && msync((void *)start, length + ((uintptr_t)data - start), MS_SYNC) < 0)
    return throw_errno(env, errno, "msync");
  return undefined(env);
}

/* ---- fd watcher ----------------------------------------------------------- */

/* A uv_poll on one fd that calls a JS function (events) when it is ready.
 * In eventfd mode the counter is drained here, before JS runs, because
 * uv_poll is level-triggered; the callback then gets the count. */
typedef struct {
  uv_poll_t poll;
  napi_env env;
  napi_ref self;     /* strong while active: an active watcher is not GC'd */
  napi_ref callback;
  napi_async_context context;
  int fd;
  bool eventfd;
  int relay_fd;      /* eventfd mode: rings passed straight to this fd (-1: to JS) */
  double relayed;    /* rings relayed since JS last took the count */
  bool active;
  bool closed;      /* uv_close requested */
  bool finalized;   /* the JS object is gone */
} watcher_t;

static void watcher_free(uv_handle_t *h) {
  watcher_t *w = (watcher_t *)h->data;
  if (w->finalized) free(w);
  else w->closed = true, w->poll.data = NULL;
}

static void watcher_release(watcher_t *w) {
  if (w->active) {
    uv_poll_stop(&w->poll);
    w->active = false;
    uint32_t rc;
    napi_reference_unref(w->env, w->self, &rc);
  }
}

static void watcher_fire(uv_poll_t *handle, int status, int events) {
  watcher_t *w = (watcher_t *)handle->data;
  if (!w || !w->active) return;
  napi_env env = w->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value argv[2], cb, recv, result;
  if (status < 0) {
    argv[0] = make_int(env, -1);
    argv[1] = make_int(env, status);
  } else if (w->eventfd) {
    int64_t count = drain_eventfd(w->fd, 0);
    if (count == 0) goto out; /* somebody else drained it: nothing to say */
    if (count > 0 && w->relay_fd >= 0) {
      /* Relayed without entering JS; only a failed write (the counter is
       * full, the fd gone) is JS's to decide. */
      uint64_t value = (uint64_t)count;
      ssize_t n;
      do n = write(w->relay_fd, &value, sizeof value);
      while (n < 0 && errno == EINTR);
      if (n == sizeof value) {
        w->relayed += (double)count;
        goto out;
      }
    }
    argv[0] = make_int(env, events);
    argv[1] = make_double(env, (double)(count < 0 ? 0 : count));
  } else {
    argv[0] = make_int(env, events);
    argv[1] = make_int(env, 0);
  }
  napi_get_reference_value(env, w->callback, &cb);
  napi_get_reference_value(env, w->self, &recv);
  if (napi_make_callback(env, w->context, recv, cb, 2, argv, &result) != napi_ok) {
    /* Surface a throw as an uncaught exception now, not from a later call. */
    napi_value error;
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending && napi_get_and_clear_last_exception(env, &error) == napi_ok)
      napi_fatal_exception(env, error);
  }
out:
  napi_close_handle_scope(env, scope);
}

static int poll_events(int64_t mask) {
  return ((mask & 1) ? UV_READABLE : 0) | ((mask & 2) ? UV_WRITABLE : 0);
}

static watcher_t *unwrap_watcher(napi_env env, napi_callback_info info,
                                 size_t n, napi_value *argv) {
  napi_value self;
  size_t argc = n;
  watcher_t *w = NULL;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return NULL;
  for (size_t i = argc; i < n; i++) argv[i] = undefined(env);
  if (napi_unwrap(env, self, (void **)&w) != napi_ok || !w) {
    throw_type(env, "not a Watcher");
    return NULL;
  }
  return w;
}

/* watcher.start(mask): 1 readable, 2 writable, 3 both. */
static napi_value watcher_start(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t mask;
  watcher_t *w = unwrap_watcher(env, info, 1, argv);
  if (!w) return NULL;
  if (!arg_int(env, argv[0], &mask) || mask < 1 || mask > 3)
    return throw_type(env, "start(mask: 1 | 2 | 3)");
  if (w->closed || w->poll.data == NULL) return throw_errno(env, EBADF, "uv_poll_start");
  int r = uv_poll_start(&w->poll, poll_events(mask), watcher_fire);
  if (r < 0) return throw_errno(env, -r, "uv_poll_start");
  if (!w->active) {
    uint32_t rc;
    napi_reference_ref(env, w->self, &rc);
    w->active = true;
  }
  return undefined(env);
}

/* watcher.stop(): no more calls; the watcher can be started again. */
static napi_value watcher_stop(napi_env env, napi_callback_info info) {
  watcher_t *w = unwrap_watcher(env, info, 0, NULL);
  if (!w) return NULL;
  watcher_release(w);
  return undefined(env);
}

/* watcher.close(): stop for good and release the uv handle. Call it before
 * closing the fd. */
static napi_value watcher_close(napi_env env, napi_callback_info info) {
  watcher_t *w = unwrap_watcher(env, info, 0, NULL);
  if (!w) return NULL;
  watcher_release(w);
  if (!w->closed && w->poll.data) {
    w->closed = true;
    uv_close((uv_handle_t *)&w->poll, watcher_free);
  }
  return undefined(env);
}

/* watcher.relay(fd): eventfd mode, each ring is written to fd at once, not
 * given to the callback (fd -1: back to the callback). */
static napi_value watcher_relay(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int64_t fd;
  watcher_t *w = unwrap_watcher(env, info, 1, argv);
  if (!w) return NULL;
  if (!w->eventfd || !arg_int(env, argv[0], &fd) || fd < -1 || fd > INT_MAX)
    return throw_type(env, "relay(fd: number | -1) on an eventfd watcher");
  w->relay_fd = (int)fd;
  return undefined(env);
}

/* watcher.takeRelayed(): rings relayed since the last call. */
static napi_value watcher_take_relayed(napi_env env, napi_callback_info info) {
  watcher_t *w = unwrap_watcher(env, info, 0, NULL);
  if (!w) return NULL;
  double relayed = w->relayed;
  w->relayed = 0;
  return make_double(env, relayed);
}

static napi_value watcher_set_ref(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  watcher_t *w = unwrap_watcher(env, info, 1, argv);
  if (!w) return NULL;
  if (w->poll.data && !w->closed) {
    if (arg_bool(env, argv[0])) uv_ref((uv_handle_t *)&w->poll);
    else uv_unref((uv_handle_t *)&w->poll);
  }
  return undefined(env);
}

static void watcher_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  watcher_t *w = (watcher_t *)data;
  napi_delete_reference(env, w->callback);
  napi_delete_reference(env, w->self);
  napi_async_destroy(env, w->context);
  w->finalized = true;
  if (w->poll.data == NULL) { /* uv handle already closed */
    free(w);
    return;
  }
  if (!w->closed) {
    uv_poll_stop(&w->poll);
    w->closed = true;
    w->active = false;
    uv_close((uv_handle_t *)&w->poll, watcher_free);
  }
  /* else: the pending close callback frees it */
}

/* new Watcher(fd, callback, eventfdMode) */
static napi_value watcher_new(napi_env env, napi_callback_info info) {
  napi_value argv[3], self, name;
  size_t argc = 3;
  int fd;
  napi_valuetype t;
  if (napi_get_cb_info(env, info, &argc, argv, &self, NULL) != napi_ok) return NULL;
  for (size_t i = argc; i < 3; i++) argv[i] = undefined(env);
  if (!arg_fd(env, argv[0], &fd) || napi_typeof(env, argv[1], &t) != napi_ok ||
      t != napi_function)
    return throw_type(env, "new Watcher(fd: number, callback: function, eventfd: boolean)");
  uv_loop_t *loop;
  CHECK(napi_get_uv_event_loop(env, &loop));
  watcher_t *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, ENOMEM, "calloc");
  w->env = env;
  w->fd = fd;
  w->eventfd = arg_bool(env, argv[2]);
  w->relay_fd = -1;
  int r = uv_poll_init(loop, &w->poll, fd);
  if (r < 0) {
    free(w);
    return throw_errno(env, -r, "uv_poll_init");
  }
  w->poll.data = w;
  napi_create_string_utf8(env, "famez:watcher", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, self, name, &w->context);
  napi_create_reference(env, argv[1], 1, &w->callback);
  napi_wrap(env, self, w, watcher_finalize, NULL, &w->self); /* weak (0) */
  return self;
}

/* ---- module --------------------------------------------------------------- */

#define FN(name, fn) {name, NULL, fn, NULL, NULL, NULL, napi_enumerable, NULL}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor fns[] = {
      FN("listen", sock_listen),        FN("accept", sock_accept),
      FN("adoptListener", sock_adopt_listener),
      FN("connect", sock_connect),      FN("close", fd_close),
      FN("peerCredentials", sock_peer_cred), FN("send", sock_send),
      FN("receive", sock_receive),      FN("eventfd", efd_create),
      FN("eventfdWrite", efd_write),    FN("eventfdRead", efd_read),
      FN("eventfdWait", efd_wait),
      FN("shmOpen", shm_open_js),       FN("shmUnlink", shm_unlink_js),
      FN("openFile", file_open),        FN("openInDirectory", file_open_in_dir),
      FN("memfdCreate", memfd_create_js), FN("ftruncate", file_truncate),
      FN("fallocate", file_allocate),   FN("fstat", file_stat),
      FN("fsync", file_sync),           FN("map", mem_map),
      FN("unmap", mem_unmap),           FN("msync", mem_sync),
  };
  napi_property_descriptor methods[] = {
      FN("start", watcher_start), FN("stop", watcher_stop),
      FN("close", watcher_close), FN("setRef", watcher_set_ref),
      FN("relay", watcher_relay), FN("takeRelayed", watcher_take_relayed),
  };
  napi_value ctor;
  napi_define_properties(env, exports, sizeof fns / sizeof fns[0], fns);
  napi_define_class(env, "Watcher", NAPI_AUTO_LENGTH, watcher_new, NULL,
                    sizeof methods / sizeof methods[0], methods, &ctor);
  napi_set_named_property(env, exports, "Watcher", ctor);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)

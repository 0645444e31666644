/* UNIX stream sockets and fd passing (SCM_RIGHTS). */
#include "famez.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_FDS_IN 16   /* control buffer room for received fds */
#define MAX_BYTES 65536 /* largest single receive */

static bool fill_sockaddr(const char *path, struct sockaddr_un *addr) {
  memset(addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof addr->sun_path) return false;
  strcpy(addr->sun_path, path);
  return true;
}
/* listen(path, mode, group, backlog) -> fd. The socket file is born with at
 * most `mode` (Linux takes bind's file mode from the socket inode), then set
 * to exactly `mode` and given `group` (-1: unchanged) before it listens, so
 * nobody connects while it is still the wrong group. bind never replaces an
 * existing path. */
napi_value sock_listen(napi_env env, napi_callback_info info) {
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
  if (fchmod(fd, (mode_t)mode & 0777) < 0) return close_and_throw_errno(env, fd, "fchmod");
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) return close_and_throw_errno(env, fd, "bind");
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
napi_value sock_adopt_listener(napi_env env, napi_callback_info info) {
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
napi_value sock_accept(napi_env env, napi_callback_info info) {
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
napi_value sock_connect(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char path[PATH_MAX];
  struct sockaddr_un addr;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_string(env, argv[0], path, sizeof path))
    return throw_type(env, "connect(path: string)");
  if (!fill_sockaddr(path, &addr)) return throw_errno(env, ENAMETOOLONG, "connect");
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket");
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) return close_and_throw_errno(env, fd, "connect");
  return make_int(env, fd);
}

napi_value fd_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  int fd;
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_fd(env, argv[0], &fd)) return throw_type(env, "close(fd: number)");
  /* Linux releases the fd even when close reports EINTR: never retry. */
  if (close(fd) < 0 && errno != EINTR) return throw_errno(env, errno, "close");
  return undefined(env);
}

/* peerCredentials(fd) -> { pid, uid, gid } of the process at the other end. */
napi_value sock_peer_cred(napi_env env, napi_callback_info info) {
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
napi_value sock_send(napi_env env, napi_callback_info info) {
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
napi_value sock_receive(napi_env env, napi_callback_info info) {
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
  /* Every received fd is ours: closed again if it cannot reach JS. */
  int got[MAX_FDS_IN];
  uint32_t count = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    for (size_t i = 0; i < nfd; i++) {
      int one;
      memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
      if (count < MAX_FDS_IN) got[count++] = one;
      else close(one);
    }
  }
  bool ok = napi_create_array(env, &fds) == napi_ok;
  for (uint32_t i = 0; ok && i < count; i++)
    ok = napi_set_element(env, fds, i, make_int(env, got[i])) == napi_ok;
  ok = ok && napi_create_typedarray(env, napi_uint8_array, (size_t)n, ab, 0, &bytes) == napi_ok &&
       napi_create_object(env, &out) == napi_ok &&
       napi_set_named_property(env, out, "bytes", bytes) == napi_ok &&
       napi_set_named_property(env, out, "fds", fds) == napi_ok &&
       napi_set_named_property(env, out, "truncated",
                               make_bool(env, (msg.msg_flags & MSG_CTRUNC) != 0)) == napi_ok;
  if (!ok) {
    for (uint32_t i = 0; i < count; i++) close(got[i]);
    return fail_napi(env, "receive");
  }
  return out;
}

/* redirectStdio(path): points fds 0, 1 and 2 at path (dup2), so that no fd
 * opened later (a peer's socket) takes their numbers and Node.js's own
 * diagnostics never land in it. */
napi_value fd_redirect_stdio(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  char path[PATH_MAX];
  if (!get_args(env, info, 1, argv)) return NULL;
  if (!arg_string(env, argv[0], path, sizeof path)) return throw_type(env, "redirectStdio(path: string)");
  int fd;
  do fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) return throw_errno(env, errno, "open");
  for (int target = 0; target <= 2; target++) {
    if (dup2(fd, target) < 0) return close_and_throw_errno(env, fd, "dup2");
  }
  if (fd > 2) close(fd);
  else fcntl(fd, F_SETFD, 0); /* it is now a stdio fd: keep it across exec */
  return undefined(env);
}

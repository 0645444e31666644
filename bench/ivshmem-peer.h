/*
 * What every small C ivshmem peer here needs: die with a message, and read
 * one server message as QEMU does (8 bytes per recvmsg, at most one fd).
 * Define PROGRAM (the name in messages) before including it.
 */
#ifndef IVSHMEM_PEER_H
#define IVSHMEM_PEER_H
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void must(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, PROGRAM ": %s: %s\n", what, strerror(errno));
    exit(1);
  }
}

static int64_t receive(int sock, int *fd) {
  int64_t value;
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = &value, .iov_len = sizeof value};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  ssize_t n;
  do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  must(n == sizeof value, "recvmsg");
  *fd = -1;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) memcpy(fd, CMSG_DATA(c), sizeof(int));
  return value;
}
#endif

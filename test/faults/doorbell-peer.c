/*
 * A C peer for the recycled-doorbell tests: it joins as QEMU does (8 bytes per
 * recvmsg), keeps its own VECTORS eventfds (the last ones the server sends
 * with its own id), and then says at once whether any of them is already
 * readable: "ready <id> pending <n>" (n eventfds with a count). Then it waits
 * (poll, up to 20 s) and prints "rung <vector> <count>" for the first doorbell,
 * or "timeout".
 *
 *   doorbell-peer SOCKET VECTORS
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_VECTORS 64

#define PROGRAM "doorbell-peer"
#include "../../bench/ivshmem-peer.h"

int main(int argc, char **argv) {
  must(argc == 3, "usage: doorbell-peer SOCKET VECTORS");
  int vectors = atoi(argv[2]);
  must(vectors > 0 && vectors <= MAX_VECTORS, "VECTORS");
  int sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  must(sock >= 0, "socket");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, argv[1], sizeof addr.sun_path - 1);
  must(connect(sock, (struct sockaddr *)&addr, sizeof addr) == 0, "connect");
  int fd;
  must(receive(sock, &fd) == 0 && fd < 0, "version");
  int64_t id = receive(sock, &fd);
  must(fd < 0, "id");
  must(receive(sock, &fd) == -1 && fd >= 0, "shared memory");
  close(fd);
  struct pollfd own[MAX_VECTORS];
  int got = 0;
  /* Every peer's doorbells, then our own: ours are those with our id. */
  while (got < vectors) {
    int64_t peer = receive(sock, &fd);
    if (fd < 0) continue;
    if (peer == id) own[got++] = (struct pollfd){.fd = fd, .events = POLLIN};
    else close(fd);
  }
  int pending = poll(own, vectors, 0);
  must(pending >= 0, "poll");
  printf("ready %lld pending %d\n", (long long)id, pending);
  fflush(stdout);
  int ready = poll(own, vectors, 20000);
  must(ready >= 0, "poll");
  if (ready == 0) {
    printf("timeout\n");
    return 0;
  }
  for (int v = 0; v < vectors; v++) {
    if (!(own[v].revents & POLLIN)) continue;
    uint64_t count;
    must(read(own[v].fd, &count, sizeof count) == sizeof count, "read");
    printf("rung %d %llu\n", v, (unsigned long long)count);
    break;
  }
  fflush(stdout);
  return 0;
}

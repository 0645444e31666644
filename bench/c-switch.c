/*
 * The protocol's floor for the switch: an ivshmem server and a FAME-Z switch
 * in one C process, with nothing but the message path. Peers join over the
 * ivshmem protocol (QEMU >= 2.5) and get the IVSHMSG mailbox; the switch is
 * peer nClients+1 with nEvents vectors, and answers "ping" with "pong"
 * through its ONE outgoing slot, as FAME-Z's protocol requires: a reply
 * waits until the previous receiver has handed the slot back (buflen 0).
 * The slot is checked on every doorbell and, while a reply is out, every
 * millisecond (famez's courier does the same). One epoll set, so a wake-up
 * costs the same with 1 or 62 peers.
 *
 *   c-switch SOCKET [NCLIENTS]     (default 14; ids 1..NCLIENTS, lowest free)
 *
 * Prints "listening on SOCKET" once it accepts; runs until SIGTERM/SIGINT,
 * then removes SOCKET. A bench program: announcements a peer does not read
 * are dropped once its socket buffer is full (a peer that pings never reads).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define SLOT 512
#define BUF 128
#define BUFLEN 64
#define MAX_CLIENTS 62
#define MAX_VECTORS (MAX_CLIENTS + 2)

static int n_clients, server_id, vectors, listener, memfd, epfd, socks_last;
#define SOCKET_TAG 100
static uint8_t *shm;
static int socks[MAX_VECTORS];                /* socks[id], -1 when free */
static int efds[MAX_VECTORS][MAX_VECTORS];    /* efds[peer][vector]; the switch's are efds[server_id] */
static int queue[MAX_VECTORS], queued[MAX_VECTORS], head, count; /* pongs waiting for the slot (one per sender at most) */
static int out_to = -1;                       /* the receiver holding our slot */
static volatile sig_atomic_t stop;

static void must(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "c-switch: %s: %s\n", what, strerror(errno));
    exit(1);
  }
}

static volatile uint64_t *buflen(int slot) { return (volatile uint64_t *)(shm + slot * SLOT + BUFLEN); }
static char *buf(int slot) { return (char *)(shm + slot * SLOT + BUF); }

/* One message (8 bytes, at most one fd) per sendmsg, as QEMU reads them; dropped if the peer does not read. */
static void send_message(int sock, int64_t value, int fd) {
  char control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = &value, .iov_len = sizeof value};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
  if (fd >= 0) {
    memset(control, 0, sizeof control);
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
  }
  ssize_t n;
  do n = sendmsg(sock, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
}

static void announce(int to, int peer) {
  for (int v = 0; v < vectors; v++) send_message(socks[to], peer, efds[peer][v]);
}

static void watch(int fd, int tag) {
  struct epoll_event event = {.events = EPOLLIN, .data.u32 = (uint32_t)tag};
  must(epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event) == 0, "epoll_ctl");
}

/* A new peer: true (its id in socks_last) once it has its id, the mailbox and every doorbell. */
static int join(int sock) {
  int id = 1;
  while (id <= n_clients && socks[id] >= 0) id++;
  if (id > n_clients) {
    close(sock); /* full */
    return 0;
  }
  socks_last = id;
  socks[id] = sock;
  for (int v = 0; v < vectors; v++) must((efds[id][v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) >= 0, "eventfd");
  memset(shm + id * SLOT, 0, SLOT);
  *(uint64_t *)(shm + id * SLOT + 72) = (uint64_t)id;
  send_message(sock, 0, -1);
  send_message(sock, id, -1);
  send_message(sock, -1, memfd);
  for (int peer = 1; peer <= n_clients; peer++) {
    if (peer == id || socks[peer] < 0) continue;
    announce(peer, id);
    announce(id, peer);
  }
  announce(id, server_id);
  announce(id, id);
  return 1;
}

static void leave(int id) {
  close(socks[id]);
  socks[id] = -1;
  for (int v = 0; v < vectors; v++) close(efds[id][v]);
  memset(shm + id * SLOT, 0, 72);
  for (int peer = 1; peer <= n_clients; peer++) if (socks[peer] >= 0) send_message(socks[peer], id, -1);
  if (out_to == id) {
    out_to = -1;
    *buflen(server_id) = 0;
  }
  if (queued[id]) {
    /* Drop its pong from the queue. */
    int kept = 0;
    for (int i = 0; i < count; i++) {
      int who = queue[(head + i) % MAX_VECTORS];
      if (who != id) queue[(head + kept++) % MAX_VECTORS] = who;
    }
    count = kept;
    queued[id] = 0;
  }
}

/* Sends the next queued pong if the slot is back. */
static void deliver(void) {
  if (out_to >= 0) {
    if (__atomic_load_n(buflen(server_id), __ATOMIC_ACQUIRE) != 0) return;
    out_to = -1;
  }
  if (count == 0) return;
  int to = queue[head];
  head = (head + 1) % MAX_VECTORS;
  count--;
  queued[to] = 0;
  memcpy(buf(server_id), "pong", 4);
  __atomic_store_n(buflen(server_id), 4, __ATOMIC_RELEASE);
  out_to = to;
  uint64_t one = 1;
  ssize_t n = write(efds[to][server_id], &one, sizeof one);
  (void)n;
}

/* Sender `from` rang us: take its message, hand its slot back, queue the answer. */
static void receive(int from) {
  uint64_t length = __atomic_load_n(buflen(from), __ATOMIC_ACQUIRE);
  if (length == 0) return;
  int ping = length >= 4 && memcmp(buf(from), "ping", 4) == 0;
  __atomic_store_n(buflen(from), 0, __ATOMIC_RELEASE);
  if (ping && !queued[from]) {
    queued[from] = 1;
    queue[(head + count++) % MAX_VECTORS] = from;
  }
}

static void on_signal(int signal) {
  (void)signal;
  stop = 1;
}

int main(int argc, char **argv) {
  must(argc == 2 || argc == 3, "usage: c-switch SOCKET [NCLIENTS]");
  n_clients = argc == 3 ? atoi(argv[2]) : 14;
  must(n_clients >= 1 && n_clients <= MAX_CLIENTS, "NCLIENTS must be 1..62");
  server_id = n_clients + 1;
  vectors = n_clients + 2;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  struct sigaction action = {.sa_handler = on_signal};
  sigaction(SIGTERM, &action, NULL);
  sigaction(SIGINT, &action, NULL);

  size_t size = 8192;
  while (size < (size_t)(server_id + 1) * SLOT) size *= 2;
  memfd = memfd_create("c-switch-mailbox", MFD_CLOEXEC);
  must(memfd >= 0 && ftruncate(memfd, (off_t)size) == 0, "memfd");
  shm = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
  must(shm != MAP_FAILED, "mmap");
  uint64_t globals[5] = {SLOT, BUF, (uint64_t)n_clients, (uint64_t)vectors, (uint64_t)server_id};
  memcpy(shm, globals, sizeof globals);
  *(uint64_t *)(shm + server_id * SLOT + 72) = (uint64_t)server_id;
  strcpy((char *)shm + server_id * SLOT, "Z-switch");
  strcpy((char *)shm + server_id * SLOT + 32, "FabricSwitch");
  for (int v = 0; v < vectors; v++) must((efds[server_id][v] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) >= 0, "eventfd");
  for (int id = 0; id < MAX_VECTORS; id++) socks[id] = -1;

  listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  must(strlen(argv[1]) < sizeof addr.sun_path, "socket path too long");
  strcpy(addr.sun_path, argv[1]);
  must(listener >= 0 && bind(listener, (struct sockaddr *)&addr, sizeof addr) == 0 && listen(listener, 64) == 0, argv[1]);
  printf("listening on %s\n", argv[1]);
  fflush(stdout);

  /* One epoll set: the listener (tag 0), vectors 1..n_clients of the switch (tag v), client sockets (tag 100 + id). */
  epfd = epoll_create1(EPOLL_CLOEXEC);
  must(epfd >= 0, "epoll_create1");
  watch(listener, 0);
  for (int v = 1; v <= n_clients; v++) watch(efds[server_id][v], v);
  struct epoll_event events[1 + 2 * MAX_VECTORS];
  while (!stop) {
    int ready = epoll_wait(epfd, events, 1 + 2 * MAX_VECTORS, out_to >= 0 ? 1 : -1);
    if (ready < 0 && errno == EINTR) continue;
    must(ready >= 0, "epoll_wait");
    for (int i = 0; i < ready; i++) {
      int tag = (int)events[i].data.u32;
      if (tag == 0) {
        int sock = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (sock >= 0 && join(sock)) watch(sock, SOCKET_TAG + socks_last);
      } else if (tag < SOCKET_TAG) {
        uint64_t rings;
        if (read(efds[server_id][tag], &rings, sizeof rings) == sizeof rings) receive(tag);
      } else {
        leave(tag - SOCKET_TAG); /* any byte or EOF: gone (closing its socket leaves the epoll set) */
      }
    }
    deliver();
  }
  unlink(argv[1]);
  return 0;
}

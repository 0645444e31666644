/*
 * A C peer of an IVSHMSG fabric for the message-path benchmarks: it joins over
 * the ivshmem protocol (as QEMU does), maps the mailbox, and either answers
 * pings through the mailbox or sends them and times the round trips.
 *
 *   mailbox-peer SOCKET pong                  answer every "ping" with "pong" until killed
 *   mailbox-peer SOCKET ping TARGET ROUNDS WARMUP
 *                                             ROUNDS timed ping -> pong round trips with TARGET
 *   mailbox-peer SOCKET flood TARGET SECONDS  ping -> pong with TARGET for SECONDS, count them (a pong not
 *                                             come in 3 s is lost, and the next ping sent)
 *   mailbox-peer SOCKET count TARGET ROUNDS   numbered "ping N" -> "pong N" from the moment it joins; a
 *                                             round unanswered in 3 s is lost (its slot taken back)
 *
 * It prints "ready <id>" once joined (and, for pong, once it listens), then for
 * ping one JSON line {"rounds":..,"median_ns":..,"p99_ns":..,"per_second":..}
 * for flood {"messages":..,"seconds":..,"lost":..}, for count {"rounds":..,"lost":..,"doubled":..,"stale":..}
 * (doubled: an answer seen twice; stale: one for an earlier round). Waits are blocking reads of the
 * eventfd of the sender's vector, as a driver in a guest would take an interrupt.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define SLOT 512
#define BUF 128
#define BUFLEN 64
#define MAX_PEERS 64
#define MAX_VECTORS 64

#define PROGRAM "mailbox-peer"
#include "ivshmem-peer.h"

static int sock, id = -1, server_id, vectors;
static uint8_t *shm;
static int fds[MAX_PEERS][MAX_VECTORS]; /* fds[peer][vector]; ours are fds[id] */
static int counts[MAX_PEERS];

static volatile uint64_t *buflen(int slot) { return (volatile uint64_t *)(shm + slot * SLOT + BUFLEN); }
static char *buf(int slot) { return (char *)(shm + slot * SLOT + BUF); }

static void ring(int peer, int vector) {
  uint64_t one = 1;
  must(write(fds[peer][vector], &one, sizeof one) == sizeof one, "ring");
}

/* Blocks until our vector `v` rings. */
static void wait_vector(int v) {
  uint64_t count;
  ssize_t n;
  do n = read(fds[id][v], &count, sizeof count);
  while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EAGAIN) {
    struct pollfd p = {.fd = fds[id][v], .events = POLLIN};
    must(poll(&p, 1, -1) == 1, "poll");
    return wait_vector(v);
  }
  must(n == sizeof count, "read");
}

static int64_t now_ns(void);

/* Writes `text` into our slot (once it is free: a message not taken within 3 s is taken back, as FAME-Z's
   peers do) and rings `to` on our vector. */
static void send_text(int to, const char *text) {
  int64_t deadline = now_ns() + 3000000000LL;
  while (*buflen(id) != 0 && now_ns() < deadline) sched_yield();
  size_t length = strlen(text);
  memcpy(buf(id), text, length);
  __atomic_store_n(buflen(id), length, __ATOMIC_RELEASE);
  ring(to, id);
}

/* Takes the message in `from`'s slot (a copy of at most `size` - 1 bytes) and hands the slot back. */
static void take(int from, char *out, size_t size) {
  uint64_t length = __atomic_load_n(buflen(from), __ATOMIC_ACQUIRE);
  if (length >= size) length = size - 1;
  memcpy(out, buf(from), length);
  out[length] = 0;
  __atomic_store_n(buflen(from), 0, __ATOMIC_RELEASE);
}

static void join(const char *path) {
  sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  must(sock >= 0, "socket");
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
  must(connect(sock, (struct sockaddr *)&addr, sizeof addr) == 0, "connect");
  int fd;
  must(receive(sock, &fd) == 0 && fd < 0, "version");
  id = (int)receive(sock, &fd);
  int memory;
  must(receive(sock, &memory) == -1 && memory >= 0, "memory");
  struct stat st;
  must(fstat(memory, &st) == 0, "fstat");
  shm = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, memory, 0);
  must(shm != MAP_FAILED, "mmap");
  vectors = (int)*(uint64_t *)(shm + 24);  /* nEvents */
  server_id = (int)*(uint64_t *)(shm + 32);
  must(vectors > 0 && vectors <= MAX_VECTORS && id > 0 && id < MAX_PEERS, "mailbox globals");
  /* Peers' batches follow; ours comes last. */
  while (counts[id] < vectors) {
    int64_t peer = receive(sock, &fd);
    must(peer >= 0 && peer < MAX_PEERS && fd >= 0 && counts[peer] < MAX_VECTORS, "peer message");
    fds[peer][counts[peer]++] = fd;
  }
  /* The socket stays open: closing it leaves the fabric. */
}

/* A peer announced (id with an fd) or gone (id alone) after we joined. */
static void peer_news(void) {
  int fd;
  int64_t peer = receive(sock, &fd);
  if (peer < 0 || peer >= MAX_PEERS) return;
  if (fd < 0) {
    for (int v = 0; v < counts[peer]; v++) close(fds[peer][v]);
    counts[peer] = 0;
  } else if (counts[peer] < MAX_VECTORS) {
    fds[peer][counts[peer]++] = fd;
  } else {
    close(fd);
  }
}

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int compare(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Waits up to `ms` for vector `v` to ring: 1 if it rang. */
static int wait_vector_ms(int v, int ms) {
  struct pollfd p = {.fd = fds[id][v], .events = POLLIN};
  int n;
  do n = poll(&p, 1, ms);
  while (n < 0 && errno == EINTR);
  if (n <= 0) return 0;
  uint64_t count;
  return read(fds[id][v], &count, sizeof count) == sizeof count;
}

/* Until the fds of peer `v` are all here: a fabric announces a peer before it rings as it, so they are in the
   socket, perhaps behind other peers' (1 if so; 0 if they are not there within 1 s, or the fabric hung up). */
static int await_peer(int v) {
  while (counts[v] < vectors) {
    struct pollfd p = {.fd = sock, .events = POLLIN};
    if (poll(&p, 1, 1000) != 1 || (p.revents & (POLLHUP | POLLERR))) return 0;
    peer_news();
  }
  return 1;
}

/* Numbered rounds, each waited for at most 3 s; prints what was lost, doubled or stale. */
static int count_rounds(int target, int rounds) {
  char text[32], reply[BUF];
  unsigned char *seen = calloc((size_t)rounds + 1, 1);
  must(seen != NULL, "calloc");
  long lost = 0, doubled = 0, stale = 0;
  for (int i = 1; i <= rounds; i++) {
    int64_t deadline = now_ns() + 3000000000LL;
    while (*buflen(id) != 0 && now_ns() < deadline) sched_yield();
    if (*buflen(id) != 0) __atomic_store_n(buflen(id), 0, __ATOMIC_RELEASE); /* not taken: take it back */
    snprintf(text, sizeof text, "ping %d", i);
    memcpy(buf(id), text, strlen(text));
    __atomic_store_n(buflen(id), strlen(text), __ATOMIC_RELEASE);
    ring(target, id);
    for (;;) {
      int left = (int)((deadline - now_ns()) / 1000000);
      if (left <= 0 || !wait_vector_ms(target, left)) { lost++; break; }
      take(target, reply, sizeof reply);
      int n = -1;
      if (sscanf(reply, "pong %d", &n) != 1 || n < 1 || n > rounds) continue;
      if (seen[n]++) doubled++;
      if (n == i) break;
      stale++;
    }
  }
  printf("{\"rounds\":%d,\"lost\":%ld,\"doubled\":%ld,\"stale\":%ld}\n", rounds, lost, doubled, stale);
  return 0;
}

static void ping_pong(int target) {
  char reply[BUF];
  send_text(target, "ping");
  wait_vector(target);
  take(target, reply, sizeof reply);
}

/* A ping -> pong that gives up after 3 s: 1 if the pong came. */
static int ping_pong_within(int target) {
  char reply[BUF];
  send_text(target, "ping");
  if (!wait_vector_ms(target, 3000)) return 0;
  take(target, reply, sizeof reply);
  return 1;
}

int main(int argc, char **argv) {
  must(argc >= 3, "usage: mailbox-peer SOCKET pong | ping TARGET ROUNDS WARMUP | flood TARGET SECONDS | count TARGET ROUNDS");
  join(argv[1]);
  snprintf((char *)shm + id * SLOT, 32, "c%02d", id);
  printf("ready %d\n", id);
  fflush(stdout);
  if (strcmp(argv[2], "pong") == 0) {
    struct pollfd p[MAX_VECTORS + 1];
    for (int v = 0; v < vectors; v++) p[v] = (struct pollfd){.fd = fds[id][v], .events = POLLIN};
    p[vectors] = (struct pollfd){.fd = sock, .events = POLLIN};
    char request[BUF];
    for (;;) {
      must(poll(p, vectors + 1, -1) > 0 || errno == EINTR, "poll");
      if (p[vectors].revents & (POLLHUP | POLLERR)) return 0;
      if (p[vectors].revents & POLLIN) peer_news();
      for (int v = 1; v < vectors; v++) {
        if (!(p[v].revents & POLLIN)) continue;
        uint64_t count;
        if (read(p[v].fd, &count, sizeof count) != sizeof count) continue;
        take(v, request, sizeof request);
        /* "ping N" is answered "pong N"; "ping" alone, "pong". */
        char answer[BUF];
        snprintf(answer, sizeof answer, "pong%s", request + 4);
        if (strncmp(request, "ping", 4) == 0 && await_peer(v)) send_text(v, answer);
      }
    }
  }
  must(argc >= 5, "usage: ping TARGET ROUNDS WARMUP | flood TARGET SECONDS");
  int target = atoi(argv[3]);
  must(target > 0 && target < MAX_PEERS && counts[target] > 0, "no such target");
  if (strcmp(argv[2], "count") == 0) return count_rounds(target, atoi(argv[4]));
  if (strcmp(argv[2], "flood") == 0) {
    int64_t end = now_ns() + (int64_t)(atof(argv[4]) * 1e9), start = now_ns(), messages = 0, lost = 0;
    while (now_ns() < end) {
      if (ping_pong_within(target)) messages++;
      else lost++;
    }
    printf("{\"messages\":%lld,\"seconds\":%.6f,\"lost\":%lld}\n", (long long)messages, (now_ns() - start) / 1e9,
           (long long)lost);
    return 0;
  }
  int rounds = atoi(argv[4]), warmup = argc > 5 ? atoi(argv[5]) : 0;
  int64_t *times = malloc(sizeof(int64_t) * rounds);
  must(times != NULL, "malloc");
  for (int i = 0; i < warmup; i++) ping_pong(target);
  int64_t start = now_ns();
  for (int i = 0; i < rounds; i++) {
    int64_t t0 = now_ns();
    ping_pong(target);
    times[i] = now_ns() - t0;
  }
  int64_t total = now_ns() - start;
  qsort(times, rounds, sizeof *times, compare);
  printf("{\"rounds\":%d,\"median_ns\":%lld,\"p99_ns\":%lld,\"per_second\":%.0f}\n", rounds,
         (long long)times[rounds / 2], (long long)times[(int)(rounds * 0.99)], rounds / (total / 1e9));
  return 0;
}

/*
 * The floor for a doorbell round trip: two processes, two eventfds, blocking
 * read/write ping-pong, nothing else. Usage: eventfd-pingpong ROUNDS WARMUP [epoll|poll]
 * With "epoll" each side waits as famez's Node peers do (epoll_wait, then a
 * poll(0) and read to drain the counter, then write): the same system calls
 * with none of Node's work between them. With "poll" each side waits as
 * famez's worker-thread wait (sys.waitEventfd) does on a non-blocking eventfd
 * whose flags it may not change: poll(-1), then read.
 * Prints one JSON line: {"rounds":..,"median_ns":..,"p99_ns":..,...}.
 * Pin it with taskset (the child inherits the affinity).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void must(int ok, const char *what) {
  if (!ok) {
    perror(what);
    exit(1);
  }
}

static void ring(int fd) {
  uint64_t one = 1;
  must(write(fd, &one, sizeof one) == sizeof one, "write");
}

static int epoll = -1; /* epoll mode: this side's epoll instance */
static int polling;    /* poll mode */

static void wait_for(int fd) {
  uint64_t count;
  if (epoll >= 0) {
    struct epoll_event event;
    int n;
    do n = epoll_wait(epoll, &event, 1, -1);
    while (n < 0 && errno == EINTR);
    must(n == 1, "epoll_wait");
    struct pollfd p = {.fd = fd, .events = POLLIN};
    must(poll(&p, 1, 0) == 1, "poll");
  } else if (polling) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int n;
    do n = poll(&p, 1, -1);
    while (n < 0 && errno == EINTR);
    must(n == 1, "poll");
  }
  must(read(fd, &count, sizeof count) == sizeof count, "read");
}

/* In epoll mode: watch `fd` (non-blocking) with this side's own epoll. */
static void watch(int fd) {
  if (epoll < -1) {
    epoll = epoll_create1(EPOLL_CLOEXEC);
    must(epoll >= 0, "epoll_create1");
    struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
    must(epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0, "epoll_ctl");
  }
}

static int by_value(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "epoll") != 0 && strcmp(argv[3], "poll") != 0)) {
    fprintf(stderr, "usage: %s ROUNDS WARMUP [epoll|poll]\n", argv[0]);
    return 2;
  }
  long rounds = atol(argv[1]), warmup = atol(argv[2]);
  must(rounds > 0 && warmup >= 0, "arguments");
  if (argc == 4 && strcmp(argv[3], "epoll") == 0) epoll = -2; /* created after the fork, one per side */
  if (argc == 4 && strcmp(argv[3], "poll") == 0) polling = 1;
  int flags = EFD_CLOEXEC | (argc == 4 ? EFD_NONBLOCK : 0);
  int ping = eventfd(0, flags), pong = eventfd(0, flags);
  must(ping >= 0 && pong >= 0, "eventfd");
  pid_t child = fork();
  must(child >= 0, "fork");
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    watch(ping);
    for (long i = 0; i < rounds + warmup; i++) {
      wait_for(ping);
      ring(pong);
    }
    _exit(0);
  }
  watch(pong);
  uint64_t *samples = malloc(sizeof *samples * (size_t)rounds);
  must(samples != NULL, "malloc");
  for (long i = 0; i < rounds + warmup; i++) {
    uint64_t start = now_ns();
    ring(ping);
    wait_for(pong);
    uint64_t end = now_ns();
    if (i >= warmup) samples[i - warmup] = end - start;
  }
  int status;
  waitpid(child, &status, 0);
  qsort(samples, (size_t)rounds, sizeof *samples, by_value);
  double sum = 0;
  for (long i = 0; i < rounds; i++) sum += (double)samples[i];
  long p99 = (rounds * 99 + 99) / 100 - 1;
  printf("{\"rounds\":%ld,\"min_ns\":%llu,\"median_ns\":%llu,\"p99_ns\":%llu,\"mean_ns\":%.0f}\n", rounds,
         (unsigned long long)samples[0], (unsigned long long)samples[rounds / 2],
         (unsigned long long)samples[p99], sum / (double)rounds);
  return 0;
}

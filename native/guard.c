/*
 * Mappings that survive their file shrinking. Any peer holding the memory's
 * fd can ftruncate it; touching a mapped page past the new end raises SIGBUS,
 * which kills the process. As libwayland-server's wl_shm does, a SIGBUS
 * handler finds the faulting address in a registered mapping, maps anonymous
 * zero pages over that whole mapping (MAP_FIXED) and marks it broken: the
 * faulting instruction is retried and reads zeros, so the ArrayBuffers over
 * the mapping stay valid and the hot path costs nothing. mem_remap (memory.c)
 * maps the file back over the same addresses once it is long enough again.
 *
 * The registry is read inside the signal handler, so it takes no lock:
 * fixed-size blocks of slots, published with atomics and never freed.
 */
#include "famez.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SLOTS_PER_BLOCK 256

typedef struct {
  _Atomic uintptr_t start; /* page-aligned; 0: free slot */
  _Atomic size_t length;   /* page-aligned length */
  _Atomic int prot;
  _Atomic int broken;
} guard_slot_t;

typedef struct guard_block {
  guard_slot_t slots[SLOTS_PER_BLOCK];
  struct guard_block *_Atomic next;
} guard_block_t;

static guard_block_t first_block;
static struct sigaction previous;
static atomic_flag installed = ATOMIC_FLAG_INIT;
static _Atomic unsigned long breaks; /* mappings broken since the start */

static guard_slot_t *find(uintptr_t address) {
  for (guard_block_t *b = &first_block; b; b = atomic_load(&b->next))
    for (int i = 0; i < SLOTS_PER_BLOCK; i++) {
      guard_slot_t *s = &b->slots[i];
      uintptr_t start = atomic_load(&s->start);
      if (start > 1 && address >= start && address - start < atomic_load(&s->length)) return s;
    }
  return NULL;
}

/* Not ours: hand the signal to whoever handled it before (Node.js installs
 * no SIGBUS handler; the default then kills the process as it would have). */
static void pass_on(int sig, siginfo_t *info, void *context) {
  if (previous.sa_flags & SA_SIGINFO) {
    if (previous.sa_sigaction) previous.sa_sigaction(sig, info, context);
    return;
  }
  if (previous.sa_handler == SIG_IGN) return;
  if (previous.sa_handler == SIG_DFL) {
    /* Default restored and the signal raised again (a kill() is not
     * repeated as a fault is): it is delivered on return, and kills. */
    signal(sig, SIG_DFL);
    raise(sig);
    return;
  }
  previous.sa_handler(sig);
}

static void on_sigbus(int sig, siginfo_t *info, void *context) {
  int saved = errno;
  guard_slot_t *s = info->si_code == BUS_ADRERR ? find((uintptr_t)info->si_addr) : NULL;
  void *start = s ? (void *)atomic_load(&s->start) : NULL;
  /* mmap is a plain system call here: safe in a signal handler. */
  if (!start || mmap(start, atomic_load(&s->length), atomic_load(&s->prot),
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED) {
    errno = saved;
    pass_on(sig, info, context);
    return;
  }
  if (!atomic_exchange(&s->broken, 1)) atomic_fetch_add(&breaks, 1);
  errno = saved;
}

static bool install(void) {
  if (atomic_flag_test_and_set(&installed)) return true;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_sigaction = on_sigbus;
  action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGBUS, &action, &previous) < 0) {
    atomic_flag_clear(&installed);
    return false;
  }
  return true;
}

static guard_slot_t *slot_of(void *start) {
  return start ? find((uintptr_t)start) : NULL;
}

bool guard_add(void *start, size_t length, int prot) {
  if (!install()) return false;
  for (guard_block_t *b = &first_block;; ) {
    for (int i = 0; i < SLOTS_PER_BLOCK; i++) {
      guard_slot_t *s = &b->slots[i];
      uintptr_t expected = 0;
      /* Claimed with 1 (skipped by find) until its fields are set. */
      if (!atomic_compare_exchange_strong(&s->start, &expected, 1)) continue;
      atomic_store(&s->length, length);
      atomic_store(&s->prot, prot);
      atomic_store(&s->broken, 0);
      atomic_store(&s->start, (uintptr_t)start);
      return true;
    }
    guard_block_t *next = atomic_load(&b->next);
    if (!next) {
      guard_block_t *fresh = calloc(1, sizeof *fresh);
      if (!fresh) return false;
      guard_block_t *none = NULL;
      if (!atomic_compare_exchange_strong(&b->next, &none, fresh)) free(fresh), fresh = none;
      next = fresh;
    }
    b = next;
  }
}

void guard_remove(void *start) {
  guard_slot_t *s = slot_of(start);
  if (s) atomic_store(&s->start, 0);
}

bool guard_lookup(void *start, int *prot, bool *broken) {
  guard_slot_t *s = slot_of(start);
  if (!s) return false;
  *prot = atomic_load(&s->prot);
  *broken = atomic_load(&s->broken) != 0;
  return true;
}

void guard_mark(void *start, bool broken) {
  guard_slot_t *s = slot_of(start);
  if (s) atomic_store(&s->broken, broken ? 1 : 0);
}

_Atomic unsigned long *guard_breaks_word(void) { return &breaks; }

/* The fabric-attached memory (fam.h): `fam read`, `fam write`, `fam info` on the ivshmem-plain
 * BAR or the DAX device, and the DAX device's set-up by famez-fam-setup (ndctl, cxl). */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "device.h"
#include "fam.h"
#include "say.h"

#define ASK_EVERY_MS 2000

static char mode[16];             /* "", "nvdimm" or "cxl" */
static char first[32];            /* the guest that formats */
static int formatter;             /* we are it */
static enum { IDLE, RUNNING, READY, FAILED } state;
static pid_t setup_pid;
static int setup_out = -1;
static char result[512];          /* the set-up's line */
static size_t result_len;
static uint32_t askers[64];       /* who asked "fam?" before we were ready */
static int nasked;
static long asked_at = -1;

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void cmdline(void) {
    char line[2048] = "";
    FILE *f = fopen("/proc/cmdline", "r");
    if (f) { if (!fgets(line, sizeof line, f)) line[0] = 0; fclose(f); }
    for (char *w = strtok(line, " \n"); w; w = strtok(NULL, " \n")) {
        if (!strncmp(w, "famez.fam=", 10)) snprintf(mode, sizeof mode, "%s", w + 10);
        else if (!strncmp(w, "famez.fam.first=", 16)) snprintf(first, sizeof first, "%s", w + 16);
    }
}

static void start(const char *role) {
    int fds[2];
    if (pipe(fds)) { say("error fam: pipe: %s", strerror(errno)); state = FAILED; return; }
    setup_pid = fork();
    if (setup_pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl("/bin/famez-fam-setup", "famez-fam-setup", mode, role, (char *)NULL);
        printf("cannot run /bin/famez-fam-setup: %s\n", strerror(errno));
        _exit(1);
    }
    close(fds[1]);
    setup_out = fds[0];
    fcntl(setup_out, F_SETFL, O_NONBLOCK);
    result_len = 0;
    state = RUNNING;
    say("fam %s: setting up /dev/dax (%s)", mode, role);
}

void fam_init(const char *nodename) {
    cmdline();
    if (!mode[0]) return;
    formatter = !first[0] || !strcmp(first, nodename);
    if (formatter) start("format");
}

/* The value of KEY= in the set-up's line. */
static const char *field(const char *key, char *out, size_t size) {
    char pattern[32];
    snprintf(pattern, sizeof pattern, "%s=", key);
    const char *p = strstr(result, pattern);
    out[0] = 0;
    if (p) snprintf(out, size, "%.*s", (int)strcspn(p + strlen(pattern), " \n"), p + strlen(pattern));
    return out;
}

static void finished(int status) {
    result[result_len] = 0;
    result[strcspn(result, "\n")] = 0;
    char device[64], size[32];
    if (status != 0) { say("error fam %s: %s", mode, result[0] ? result : "the set-up failed"); state = FAILED; return; }
    field("device", device, sizeof device);
    int fd = open(device, O_RDWR);
    size_t bytes = strtoull(field("size", size, sizeof size), NULL, 10);
    void *at = fd < 0 || !bytes ? MAP_FAILED : mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (at == MAP_FAILED) { say("error fam %s: cannot map %s (%zu bytes): %s", mode, device, bytes, strerror(errno)); state = FAILED; return; }
    fam.mem.at = at;
    fam.mem.size = bytes;
    have_fam = 1;
    state = READY;
    say("fam ready %s %s", mode, result);
    for (int i = 0; i < nasked; i++) post(askers[i], "fam ready", 0);
    nasked = 0;
}

void fam_tick(int mailbox) {
    if (state == RUNNING) {
        ssize_t n = read(setup_out, result + result_len, sizeof result - 1 - result_len);
        if (n > 0) result_len += n;
        int status;
        if (waitpid(setup_pid, &status, WNOHANG) == setup_pid) {
            while ((n = read(setup_out, result + result_len, sizeof result - 1 - result_len)) > 0) result_len += n;
            close(setup_out);
            finished(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
        }
    } else if (state == IDLE && mode[0] && !formatter && mailbox && now_ms() - asked_at >= ASK_EVERY_MS) {
        long to = peer_of(first);
        asked_at = now_ms();
        if (to > 0) post(to, "fam?", 0);
    }
}

int fam_message(uint32_t from, const char *text) {
    if (!strcmp(text, "fam?")) {
        if (state == READY) { post(from, "fam ready", 0); return 1; }
        for (int i = 0; i < nasked; i++) if (askers[i] == from) return 1;
        if (nasked < 64) askers[nasked++] = from;
        return 1;
    }
    if (!strcmp(text, "fam ready")) {
        /* only the first guest's word counts */
        if (state == IDLE && mode[0] && !formatter && (long)from == peer_of(first)) start("join");
        return 1;
    }
    return 0;
}

static void info(void) {
    if (mode[0] && state != READY) say("fam info %s: %s", mode, state == FAILED ? "failed" : "not ready yet");
    else if (mode[0]) say("fam info %s %s", mode, result);
    else if (have_fam) say("fam info ivshmem device=%s bar=2 size=%zu", fam.path, fam.mem.size);
    else say("error fam: no fabric-attached memory (famez lab --fam)");
}

void fam_command(char *args) {
    char *op = strtok(args, " "), *off_text = strtok(NULL, " "), *rest = strtok(NULL, "");
    if (op && !strcmp(op, "info")) { info(); return; }
    if (!have_fam && mode[0]) { say("error fam: the %s set-up is not done (fam info)", mode); return; }
    if (!have_fam) { say("error fam: no fabric-attached memory (famez lab --fam)"); return; }
    if (!op || !off_text || !rest) { say("error usage: fam write OFF TEXT | fam read OFF LEN | fam info"); return; }
    unsigned long off = strtoul(off_text, NULL, 0);
    if (!strcmp(op, "write")) {
        size_t n = strlen(rest);
        if (off + n > fam.mem.size) { say("error fam write past the end (%zu bytes)", fam.mem.size); return; }
        for (size_t i = 0; i < n; i++) fam.mem.at[off + i] = rest[i];
        msync((void *)fam.mem.at, fam.mem.size, MS_SYNC);
        say("fam wrote %zu bytes at %lu", n, off);
    } else if (!strcmp(op, "read")) {
        unsigned long n = strtoul(rest, NULL, 0);
        if (n > 256 || off + n > fam.mem.size) { say("error fam read: at most 256 bytes inside %zu", fam.mem.size); return; }
        char text[257];
        for (unsigned long i = 0; i < n; i++) { char c = fam.mem.at[off + i]; text[i] = isprint((unsigned char)c) ? c : '.'; }
        text[n] = 0;
        say("fam read %lu at %lu: %s", n, off, text);
    } else {
        say("error usage: fam write OFF TEXT | fam read OFF LEN | fam info");
    }
}

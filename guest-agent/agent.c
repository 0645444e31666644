/*
 * famez lab guest agent: joins a famez fabric's IVSHMSG mailbox from inside a
 * QEMU guest, with no kernel driver. It finds the ivshmem devices in sysfs
 * (1af4:1110), maps their BARs through /sys/bus/pci/devices/X/resourceN, and
 * sees doorbells by polling the MSI-X Pending Bit Array: MSI-X is enabled with
 * every vector masked and Bus Master off, so a doorbell only sets its pending
 * bit; unmasking and masking the vector clears it (the MSI goes nowhere).
 *
 * It names its slot after the hostname, asks the switch to configure its link
 * (Link RFC), answers ping and Link CTL Peer-Attribute, prints every message
 * and takes commands on its console (help lists them). An ivshmem-plain device
 * (no MSI-X), or a DAX device (fam.c), is the fabric-attached memory: `fam read`, `fam write`, `fam info`.
 *
 * Console lines it prints start with "famez: " so that programs can find them.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "device.h"
#include "fam.h"
#include "say.h"

#define SLOT_SIZE 512
#define BUF_OFFSET 128
#define BUF_SIZE (SLOT_SIZE - BUF_OFFSET)
#define NAME_SIZE 32
#define BUFLEN_AT 64
#define PEER_ID_AT 72
#define CCLASS "FamezGuest"
#define TAKE_BACK_MS 1000

static int mailbox;
static uint32_t my_id, nclients, nevents, server_id;
static char nodename[NAME_SIZE];
static unsigned tracker;
static long cid = -1, sid = -1;

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void ring(uint32_t peer, uint32_t vector) {
    __sync_synchronize();
    wr32(&bell.regs, 12, peer << 16 | vector);
}

static size_t slot(uint32_t id) { return (size_t)id * SLOT_SIZE; }

static void slot_name(uint32_t id, int at, char *out) {
    for (int i = 0; i < NAME_SIZE; i++) out[i] = bell.mem.at[slot(id) + at + i];
    out[NAME_SIZE - 1] = 0;
}

/* ---------------------------------------------------------------- outbox */
struct letter { uint32_t to; int confirm; char text[BUF_SIZE]; };  /* confirm: a console's send */
#define OUTBOX 32
static struct letter outbox[OUTBOX];
static int out_head, out_count;
static long sent_at = -1;   /* when the message in our slot was sent, -1: slot free */
static struct letter in_slot;   /* the message sent last, confirmed once taken */

void post(uint32_t to, const char *text, int confirm) {
    if (out_count == OUTBOX) { say("error outbox full: \"%s\" to %u dropped", text, to); return; }
    struct letter *l = &outbox[(out_head + out_count++) % OUTBOX];
    l->to = to;
    l->confirm = confirm;
    snprintf(l->text, sizeof l->text, "%s", text);
}

/* Confirms the message in our slot once taken (or takes it back after a second); 0 while it waits. */
static int settle(void) {
    if (sent_at < 0) return 1;
    if (rd64(&bell.mem, slot(my_id) + BUFLEN_AT) != 0) {
        if (now_ms() - sent_at < TAKE_BACK_MS) return 0;
        char name[NAME_SIZE];
        slot_name(in_slot.to, 0, name);
        say("warning peer %u (%s) did not take our message within %d ms: slot taken back", in_slot.to,
            name[0] ? name : "no nodename", TAKE_BACK_MS);
    } else if (in_slot.confirm) {
        say("sent to %u: %s", in_slot.to, in_slot.text);
    }
    sent_at = -1;
    return 1;
}

/* Sends the next letter once our slot is free. */
static void pump(void) {
    size_t mine = slot(my_id);
    if (!settle() || out_count == 0) return;
    struct letter *l = &outbox[out_head];
    in_slot = *l;
    out_head = (out_head + 1) % OUTBOX;
    out_count--;
    char text[BUF_SIZE];
    int n = snprintf(text, sizeof text, "%s!EZT=%u", l->text, ++tracker);
    if (n >= BUF_SIZE) { say("error message too long for a slot"); return; }
    for (int i = 0; i < n; i++) bell.mem.at[mine + BUF_OFFSET + i] = text[i];
    __sync_synchronize();
    wr64(&bell.mem, mine + BUFLEN_AT, n);
    sent_at = now_ms();
    ring(l->to, my_id);
}

/* ---------------------------------------------------------------- inbox */
static const char *arg(const char *text, const char *key, char *out, size_t size) {
    size_t k = strlen(key);
    for (const char *p = text; (p = strstr(p, key)); p++) {
        if ((p == text || p[-1] == ',' || p[-1] == ' ') && p[k] == '=') {
            size_t i = 0;
            for (p += k + 1; *p && *p != ',' && *p != ' ' && i + 1 < size; ) out[i++] = *p++;
            out[i] = 0;
            return out;
        }
    }
    return NULL;
}

static void handle(uint32_t from, const char *text) {
    char value[64], reply[BUF_SIZE];
    if (fam_message(from, text)) {
        /* the FAM's set-up, between guests */
    } else if (strcmp(text, "ping") == 0) {
        post(from, "pong", 0);
    } else if (strcmp(text, "Link CTL Peer-Attribute") == 0) {
        snprintf(reply, sizeof reply, "Link CTL ACK cclass=%s,CID0=%ld,SID0=%ld", CCLASS, cid < 0 ? 0 : cid, sid < 0 ? 0 : sid);
        post(from, reply, 0);
    } else if (strncmp(text, "CTL-Write ", 10) == 0 && from == server_id) {
        if (arg(text, "CID", value, sizeof value)) cid = atol(value);
        if (arg(text, "SID", value, sizeof value)) sid = atol(value);
        snprintf(reply, sizeof reply, "Standalone Acknowledgment Tag=%s,Reason=OK",
                 arg(text, "Tag", value, sizeof value) ? value : "0");
        post(from, reply, 0);
        say("link configured CID0=%ld SID0=%ld", cid, sid);
    }
}

static void receive(uint32_t from) {
    if (from == 0 || from > server_id) { say("warning doorbell on vector %u: no such sender", from); return; }
    size_t s = slot(from);
    uint64_t len = rd64(&bell.mem, s + BUFLEN_AT);
    if (len == 0) return;
    if (len >= BUF_SIZE) { say("warning sender %u: buflen %llu past the buffer", from, (unsigned long long)len); len = BUF_SIZE - 1; }
    char text[BUF_SIZE], name[NAME_SIZE];
    for (uint64_t i = 0; i < len; i++) text[i] = bell.mem.at[s + BUF_OFFSET + i];
    text[len] = 0;
    wr64(&bell.mem, s + BUFLEN_AT, 0);   /* hand the slot back */
    settle();   /* an answer comes after our message was taken: "sent to" first */
    char *ezt = strstr(text, "!EZT=");
    if (ezt) *ezt = 0;
    slot_name(from, 0, name);
    say("from %u (%s): %s", from, name[0] ? name : "?", text);
    handle(from, text);
}

/* ---------------------------------------------------------------- console */
long peer_of(const char *dest) {
    if (!strcmp(dest, "server") || !strcmp(dest, "switch")) return server_id;
    char *end;
    long id = strtol(dest, &end, 10);
    if (*dest && !*end) return id >= 1 && id <= (long)server_id ? id : -1;
    /* A name picks the peers whose whole name it is, or whose name before "@HOST" it is (a peer of
       another host): a local lab1 and a remote lab1@west are both "lab1"; several are refused, listed. */
    size_t n = strlen(dest);
    long found = -1;
    int count = 0;
    char list[BUF_SIZE] = "";
    for (uint32_t p = 1; p <= server_id; p++) {
        char name[NAME_SIZE];
        slot_name(p, 0, name);
        if (strncmp(name, dest, n) != 0 || (name[n] != 0 && name[n] != '@')) continue;
        found = p;
        count++;
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s (%u)", used ? ", " : "", name, p);
    }
    if (count > 1) {
        say("error \"%s\" names %d peers: %s: give the name with its @host, or the id", dest, count, list);
        return -2;
    }
    return found;
}

/* A raw doorbell, the only way to reach another guest on a plain server (no
 * mailbox): it prints "doorbell vector V". Peers of one server have as many
 * vectors as we do. */
static void ring_command(char *args) {
    char *peer_text = strtok(args, " "), *vector_text = strtok(NULL, " "), *end1 = "", *end2 = "";
    unsigned long peer = peer_text ? strtoul(peer_text, &end1, 10) : 0;
    unsigned long vector = vector_text ? strtoul(vector_text, &end2, 10) : 0;
    if (!peer_text || !vector_text || *end1 || *end2 || peer > 0xffff || vector >= nevents) {
        say("error usage: ring PEER VECTOR (PEER: an id, VECTOR: 0..%u)", nevents - 1);
        return;
    }
    ring(peer, vector);
    say("rang peer %lu vector %lu", peer, vector);
}

static void command(char *line) {
    line[strcspn(line, "\r\n")] = 0;
    char *cmd = strtok(line, " ");
    if (!cmd) return;
    char *rest = strtok(NULL, "");
    if (!strcmp(cmd, "help")) {
        say("commands: send DEST TEXT | ping DEST | who | link | ring PEER VECTOR | fam write OFF TEXT | fam read OFF LEN | fam info (DEST: id, nodename or server)");
    } else if (!strcmp(cmd, "fam")) {
        fam_command(rest ? rest : (char[]){0});
    } else if (!strcmp(cmd, "ring")) {
        ring_command(rest ? rest : (char[]){0});
    } else if (!mailbox) {
        say("error no mailbox: this guest is on a plain server");
    } else if (!strcmp(cmd, "send") || !strcmp(cmd, "ping")) {
        char *dest = rest ? strtok(rest, " ") : NULL, *text = !strcmp(cmd, "ping") ? "ping" : strtok(NULL, "");
        long to = dest ? peer_of(dest) : -1;
        if (to == -2) return; /* several peers: said */
        if (to < 0 || !text) say("error usage: send DEST TEXT | ping DEST (no peer \"%s\")", dest ? dest : "");
        else post(to, text, 1);
    } else if (!strcmp(cmd, "who")) {
        for (uint32_t p = 1; p <= server_id; p++) {
            char name[NAME_SIZE];
            slot_name(p, 0, name);
            if (name[0]) say("peer %u %s%s", p, name, p == my_id ? " (me)" : "");
        }
    } else if (!strcmp(cmd, "link")) {
        say("link %s CID0=%ld SID0=%ld", cid < 0 ? "up" : "configured", cid, sid);
    } else {
        say("error unknown command \"%s\": try help", cmd);
    }
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (gethostname(nodename, sizeof nodename - 1)) strcpy(nodename, "guest");
    find_devices();
    if (!have_bell) { say("error no ivshmem-doorbell device (1af4:1110 with MSI-X)"); return 1; }
    my_id = rd32(&bell.regs, 8);
    mailbox = rd64(&bell.mem, 0) == SLOT_SIZE && rd64(&bell.mem, 8) == BUF_OFFSET;
    if (mailbox) {
        nclients = rd64(&bell.mem, 16);
        nevents = rd64(&bell.mem, 24);
        server_id = rd64(&bell.mem, 32);
        if (server_id != nclients + 1 || (size_t)(server_id + 1) * SLOT_SIZE > bell.mem.size || my_id == 0 || my_id > nclients) {
            say("error the mailbox globals make no sense (nClients %u, server_id %u, my id %u)", nclients, server_id, my_id);
            return 1;
        }
    } else {
        nevents = (cfg_read(&bell, bell.cap + 2, 2) & 0x7ff) + 1;
    }
    enable_msix(nevents);
    if (mailbox) {
        size_t mine = slot(my_id);
        for (int i = 0; i < NAME_SIZE; i++) bell.mem.at[mine + i] = i < (int)strlen(nodename) ? nodename[i] : 0;
        for (int i = 0; i < NAME_SIZE; i++) bell.mem.at[mine + 32 + i] = i < (int)strlen(CCLASS) ? CCLASS[i] : 0;
        wr64(&bell.mem, mine + BUFLEN_AT, 0);
    }
    say("ready id=%u nodename=%s mailbox=%s memory=%zu fam=%zu", my_id, nodename, mailbox ? "yes" : "no",
        bell.mem.size, have_fam ? fam.mem.size : (size_t)0);
    if (mailbox) post(server_id, "Link RFC TTC=27us", 0);
    fam_init(nodename);

    char line[512];
    size_t used = 0;
    for (;;) {
        struct pollfd in = { .fd = 0, .events = POLLIN };
        if (poll(&in, 1, 5) > 0) {
            ssize_t n = read(0, line + used, sizeof line - 1 - used);
            if (n > 0) {
                used += n;
                line[used] = 0;
                char *nl;
                while ((nl = strpbrk(line, "\r\n"))) {
                    *nl = 0;
                    command(line);
                    used -= nl + 1 - line;
                    memmove(line, nl + 1, used + 1);
                }
                if (used == sizeof line - 1) used = 0;   /* an overlong line: dropped */
            }
        }
        uint64_t p = pending(nevents);
        for (uint32_t v = 0; p && v < 64; v++) {
            if (!(p >> v & 1)) continue;
            clear_pending(v);
            if (mailbox) receive(v);
            else say("doorbell vector %u", v);
        }
        if (mailbox) pump();
        fam_tick(mailbox);
    }
}

/*
 * The guest agent's PCI side: finds the ivshmem devices in sysfs, maps their
 * BARs, and sees doorbells through the MSI-X Pending Bit Array (see agent.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "device.h"
#include "say.h"

struct device bell, fam;
int have_bell, have_fam;

static int read_hex(const char *dir, const char *name, unsigned *value) {
    char path[400], text[32] = "";
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int ok = fgets(text, sizeof text, f) != NULL;
    fclose(f);
    return ok && sscanf(text, "%x", value) == 1 ? 0 : -1;
}

static int cfg(struct device *d, int off, int width, uint32_t *value, int write) {
    char path[400];
    snprintf(path, sizeof path, "%s/config", d->path);
    int fd = open(path, write ? O_WRONLY : O_RDONLY);
    if (fd < 0) return -1;
    ssize_t n = write ? pwrite(fd, value, width, off) : pread(fd, value, width, off);
    close(fd);
    return n == width ? 0 : -1;
}
uint32_t cfg_read(struct device *d, int off, int width) {
    uint32_t v = 0;
    cfg(d, off, width, &v, 0);
    return v;
}
static void cfg_write8(struct device *d, int off, uint32_t v) { cfg(d, off, 1, &v, 1); }

static int map_bar(struct device *d, int n, struct bar *b) {
    char path[400];
    snprintf(path, sizeof path, "%s/resource%d", d->path, n);
    int fd = open(path, O_RDWR | O_SYNC);
    if (fd < 0) return -1;
    struct stat st;
    off_t size = fstat(fd, &st) == 0 ? st.st_size : 0;   /* sysfs gives the BAR's size */
    void *at = size > 0 ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) : MAP_FAILED;
    close(fd);
    if (at == MAP_FAILED) return -1;
    b->at = at;
    b->size = size;
    return 0;
}

/* The MSI-X capability's offset in config space, or 0. */
static int msix_cap(struct device *d) {
    if (!(cfg_read(d, 6, 2) & 0x10)) return 0;   /* no capability list */
    for (int cap = cfg_read(d, 0x34, 1) & ~3, hops = 0; cap && hops < 48; hops++) {
        if (cfg_read(d, cap, 1) == 0x11) return cap;
        cap = cfg_read(d, cap + 1, 1) & ~3;
    }
    return 0;
}

void find_devices(void) {
    DIR *dir = opendir("/sys/bus/pci/devices");
    struct dirent *e;
    while (dir && (e = readdir(dir))) {
        if (e->d_name[0] == '.') continue;
        struct device d = {0};
        unsigned vendor, device;
        snprintf(d.path, sizeof d.path, "/sys/bus/pci/devices/%s", e->d_name);
        if (read_hex(d.path, "vendor", &vendor) || read_hex(d.path, "device", &device)) continue;
        if (vendor != 0x1af4 || device != 0x1110) continue;
        char enable[400];
        snprintf(enable, sizeof enable, "%s/enable", d.path);
        int fd = open(enable, O_WRONLY);
        if (fd >= 0) { if (write(fd, "1", 1) < 0) { /* already enabled */ } close(fd); }
        cfg_write8(&d, 4, cfg_read(&d, 4, 1) & ~4u);   /* Bus Master off: MSI writes go nowhere */
        d.cap = msix_cap(&d);
        if (map_bar(&d, 0, &d.regs) || map_bar(&d, 2, &d.mem)) {
            say("error cannot map the BARs of %s: %s", e->d_name, strerror(errno));
            continue;
        }
        if (d.cap && !have_bell) {
            if (map_bar(&d, 1, &d.msix)) { say("error cannot map MSI-X of %s", e->d_name); continue; }
            bell = d;
            have_bell = 1;
        } else if (!d.cap && !have_fam) {
            fam = d;
            have_fam = 1;
        }
    }
    if (dir) closedir(dir);
}

/* MSI-X table and PBA addresses inside BAR1 (QEMU puts both there). */
static size_t table_at, pba_at;

void enable_msix(uint32_t nevents) {
    table_at = cfg_read(&bell, bell.cap + 4, 4) & ~7u;
    pba_at = cfg_read(&bell, bell.cap + 8, 4) & ~7u;
    for (uint32_t v = 0; v < nevents && v < 64; v++) wr32(&bell.msix, table_at + 16 * v + 12, 1);   /* masked */
    cfg_write8(&bell, bell.cap + 3, 0x80);   /* MSI-X Enable, Function Mask clear */
}

uint64_t pending(uint32_t nevents) {
    uint64_t p = rd32(&bell.msix, pba_at);
    if (nevents > 32) p |= (uint64_t)rd32(&bell.msix, pba_at + 4) << 32;
    return p;
}

void clear_pending(uint32_t v) {
    wr32(&bell.msix, table_at + 16 * v + 12, 0);
    wr32(&bell.msix, table_at + 16 * v + 12, 1);
}

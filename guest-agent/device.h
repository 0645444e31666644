/* The ivshmem devices as the guest agent sees them: mapped BARs and MSI-X. */
#ifndef FAMEZ_AGENT_DEVICE_H
#define FAMEZ_AGENT_DEVICE_H
#include <stddef.h>
#include <stdint.h>

struct bar { volatile uint8_t *at; size_t size; };
struct device { char path[300]; struct bar regs, msix, mem; int cap; };

static inline uint32_t rd32(struct bar *b, size_t off) { return *(volatile uint32_t *)(b->at + off); }
static inline void wr32(struct bar *b, size_t off, uint32_t v) { *(volatile uint32_t *)(b->at + off) = v; }
static inline uint64_t rd64(struct bar *b, size_t off) { return rd32(b, off) | (uint64_t)rd32(b, off + 4) << 32; }
static inline void wr64(struct bar *b, size_t off, uint64_t v) { wr32(b, off, (uint32_t)v); wr32(b, off + 4, (uint32_t)(v >> 32)); }

/* The doorbell device (ivshmem-doorbell, with MSI-X) and the fabric-attached memory (ivshmem-plain). */
extern struct device bell, fam;
extern int have_bell, have_fam;

uint32_t cfg_read(struct device *d, int off, int width);
/* Fills bell and fam from /sys/bus/pci/devices. */
void find_devices(void);
/* MSI-X on, every vector masked, so a doorbell only sets its pending bit. */
void enable_msix(uint32_t nevents);
uint64_t pending(uint32_t nevents);
void clear_pending(uint32_t v);

#endif

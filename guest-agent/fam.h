/* The fabric-attached memory in the guest: an ivshmem-plain BAR, or (famez.fam=nvdimm|cxl
 * on the kernel command line) a DAX device that famez-fam-setup makes, coordinated over the
 * fabric: the guest named by famez.fam.first formats, the others set up once it said so. */
#ifndef FAMEZ_AGENT_FAM_H
#define FAMEZ_AGENT_FAM_H
#include <stdint.h>

/* From agent.c: queue a message to a peer; a peer's id from an id, nodename or "server". */
void post(uint32_t to, const char *text, int confirm);
long peer_of(const char *dest);

/* Reads the command line; the first guest starts its set-up at once. */
void fam_init(const char *nodename);
/* Called every turn of the main loop: the set-up's progress, the question to the first guest. */
void fam_tick(int mailbox);
/* A message that is about the FAM ("fam?", "fam ready"): handled, returns 1. */
int fam_message(uint32_t from, const char *text);
/* The console's `fam ...`. */
void fam_command(char *args);

#endif

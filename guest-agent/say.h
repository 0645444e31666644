/* The agent's console lines, "famez: " first so that programs can find them. */
#ifndef FAMEZ_AGENT_SAY_H
#define FAMEZ_AGENT_SAY_H

void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

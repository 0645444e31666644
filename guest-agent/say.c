/* The agent's console lines (say.h): its own and its device code's alike. */
#include <stdarg.h>
#include <stdio.h>
#include "say.h"

void say(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("famez: ", stdout);
    vprintf(fmt, ap);
    fputs("\n", stdout);
    fflush(stdout);
    va_end(ap);
}

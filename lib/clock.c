/*
 * The monotonic clock; see clock.h.  clock_gettime(CLOCK_MONOTONIC)
 * cannot fail on Linux with a valid pointer.
 */
#include <time.h>

#include "clock.h"

uint64_t
mono_ms64(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

double
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/*
 * clock.h: the one monotonic clock of every wadesk program
 * (CLOCK_MONOTONIC, so wall-clock steps never move a deadline or a
 * lifetime).  wadeskd keeps its deadlines and timers in whole
 * milliseconds; wadesk.fcgi measures lifetimes and latencies with the
 * fraction.
 */
#ifndef WADESK_CLOCK_H
#define WADESK_CLOCK_H

#include <stdint.h>

/* Milliseconds since an arbitrary start, whole. */
uint64_t	 mono_ms64(void);

/* The same clock in milliseconds, with the fraction. */
double		 mono_ms(void);

#endif /* !WADESK_CLOCK_H */

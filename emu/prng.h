/*
 * prng.h: the seeded random numbers behind every fault decision (DESIGN §5, replay).
 * xoshiro256** streams, each derived from the run's seed and a stream name and number
 * (one per socket by opening order, one per wire direction), so thread scheduling does
 * not change which datagram or frame a fault hits. A stream is not thread-safe: its
 * owner guards it.
 */
#ifndef NSEMU_PRNG_H
#define NSEMU_PRNG_H

#include <stdbool.h>
#include <stdint.h>

struct prng {
    uint64_t s[4];
};

/* Stream `index` of family `name` ("sock", "wire") for the run's seed. */
void prng_init(struct prng *p, uint64_t seed, const char *name, uint64_t index);
uint64_t prng_next(struct prng *p);
/* True with probability ppb / 1e9. */
bool prng_chance(struct prng *p, long ppb);
/* A number in [0, n); 0 when n is 0. */
uint64_t prng_below(struct prng *p, uint64_t n);

#endif /* NSEMU_PRNG_H */

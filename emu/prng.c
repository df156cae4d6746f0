/*
 * prng.c: xoshiro256** (Blackman and Vigna), seeded through splitmix64 from the run's
 * seed mixed with a stream name and index.
 */
#include "prng.h"

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15u);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void prng_init(struct prng *p, uint64_t seed, const char *name, uint64_t index)
{
    uint64_t x = seed;

    /* FNV-1a of the stream name, then the index, folded into the splitmix state. */
    uint64_t h = 0xcbf29ce484222325u;
    for (const char *c = name; *c != '\0'; c++)
        h = (h ^ (uint8_t)*c) * 0x100000001b3u;
    x ^= h;
    x ^= splitmix64(&index);
    for (int i = 0; i < 4; i++)
        p->s[i] = splitmix64(&x);
}

uint64_t prng_next(struct prng *p)
{
    uint64_t *s = p->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

bool prng_chance(struct prng *p, long ppb)
{
    if (ppb <= 0)
        return false;
    if (ppb >= 1000000000)
        return true;
    return prng_next(p) % 1000000000u < (uint64_t)ppb;
}

uint64_t prng_below(struct prng *p, uint64_t n)
{
    return n == 0 ? 0 : prng_next(p) % n;
}

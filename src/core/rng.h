/* Seeded deterministic pseudo-random numbers (xoshiro256**, seeded through splitmix64;
 * Blackman & Vigna, "Scrambled linear pseudorandom number generators", 2021). */
#ifndef SN_RNG_H
#define SN_RNG_H

#include <stdint.h>

typedef struct sn_rng {
    uint64_t s[4];
} sn_rng;

void sn_rng_seed(sn_rng *r, uint64_t seed);
uint64_t sn_rng_next(sn_rng *r);
/* Uniform in [0, 1). */
double sn_rng_uniform(sn_rng *r);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
uint64_t sn_rng_below(sn_rng *r, uint64_t n);
/* Standard normal (Box-Muller). */
double sn_rng_normal(sn_rng *r);

#endif

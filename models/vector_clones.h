// Plain loops the compiler vectorises, compiled once per instruction set and chosen at load
// time (GCC's target_clones), so that they use the CPU's widest vectors without a -march flag.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HYBRIDNET_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
// The same for loops of __builtin_popcountll: the popcnt instruction where the CPU has it,
// instead of a call into libgcc per word.
#define HYBRIDNET_POPCNT_CLONES __attribute__((target_clones("popcnt", "default")))
#else
#define HYBRIDNET_VECTOR_CLONES
#define HYBRIDNET_POPCNT_CLONES
#endif

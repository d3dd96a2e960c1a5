// The threads of the decode kernels. Decoding a token runs about 85 short parallel products, each
// a few microseconds to a few milliseconds; with OpenMP each one ends at a barrier that waits for
// every thread of the team to arrive, and on a machine shared with other processes a thread that
// lost its core holds the product for a whole time slice (the 768 x 768 products ran at a tenth of
// the bandwidth that way). Here the caller takes units of work from a shared counter beside the
// helpers, and waits only for units a helper has already taken: a helper that has not started
// yet finds no work left and goes back to waiting. Helpers spin briefly between products (the
// next one follows within microseconds while a token decodes), then sleep.
//
// No standard headers here: decode.cc includes this inside its AVX2 and AVX-512 target regions.
#pragma once

namespace llm {

// Runs body(ctx, i) for every i in [0, count), on the calling thread and up to threads - 1
// helpers; returns when every unit is done. A unit's thread is whichever took it first. When
// another thread is using the helpers at the time, the caller runs every unit itself.
void parallelUnits(long count, int threads, void (*body)(const void* ctx, long i), const void* ctx);

template <class F>
inline void parallelFor(long count, int threads, const F& f) {
  parallelUnits(
      count, threads, [](const void* ctx, long i) { (*static_cast<const F*>(ctx))(i); }, &f);
}

}  // namespace llm

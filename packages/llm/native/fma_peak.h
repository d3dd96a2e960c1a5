// The machine's float32 FMA peak, measured: what model FLOP utilisation (bench:train) is judged against.
#pragma once

namespace llm {

// Float32 FLOP/s (an FMA counts 2 per lane) that `threads` threads reach together running only
// independent FMA chains held in registers, with the widest vectors the chosen ISA has; the best of
// five windows that share `ms` milliseconds.
double fmaPeak(int threads, double ms);

}  // namespace llm

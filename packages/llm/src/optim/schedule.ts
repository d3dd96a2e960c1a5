// Learning-rate schedules. The book's appendix D: a linear warmup from an initial rate to the peak,
// then cosine decay to a minimum rate.

export interface WarmupCosineOptions {
  peakLr: number;
  // Where the warmup starts (the book uses 0.0001); 0 by default.
  initialLr?: number;
  minLr?: number;
  warmupSteps: number;
  totalSteps: number;
}

// The rate for a 0-based step.
export function warmupCosine(options: WarmupCosineOptions): (step: number) => number {
  const { peakLr, warmupSteps, totalSteps } = options;
  const initialLr = options.initialLr ?? 0;
  const minLr = options.minLr ?? 0;
  if (warmupSteps < 0 || totalSteps < warmupSteps) {
    throw new Error(`warmupCosine: needs 0 <= warmupSteps (${warmupSteps}) <= totalSteps (${totalSteps})`);
  }
  const increment = warmupSteps > 0 ? (peakLr - initialLr) / warmupSteps : 0;
  return (step) => {
    if (step < warmupSteps) return initialLr + step * increment;
    const span = Math.max(totalSteps - warmupSteps, 1);
    const progress = Math.min((step - warmupSteps) / span, 1);
    return minLr + (peakLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

export function constantLr(lr: number): (step: number) => number {
  return () => lr;
}

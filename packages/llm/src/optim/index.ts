export { Optimizer, type OptimizerState, type ParamGroup } from './optimizer.js';
export { AdamW, ADAMW_DEFAULTS, type AdamWOptions } from './adamw.js';
export { SGD, type SGDOptions } from './sgd.js';
export { clipGradNorm } from './clip.js';
export { warmupCosine, constantLr, type WarmupCosineOptions } from './schedule.js';

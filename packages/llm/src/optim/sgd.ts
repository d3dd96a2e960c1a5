// SGD with momentum, dampening, Nesterov and (coupled) weight decay, as torch.optim.SGD.
import { kernels } from '../backend/index.js';
import type { Tensor } from '../tensor/index.js';
import { Optimizer, type ParamGroup } from './optimizer.js';

export interface SGDOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

const STRIDE1 = [1];

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Tensor[] | ParamGroup<SGDOptions>[], options: Partial<SGDOptions> & { lr: number }) {
    super(params, { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...options });
  }

  step(): void {
    this.stepCount++;
    const k = kernels();
    for (const { params, options } of this.groups) {
      const { lr, momentum, dampening, weightDecay, nesterov } = options;
      for (const p of params) {
        if (!p.grad) continue;
        const w = p.f32('SGD');
        const shape = [w.length];
        let d = p.grad.f32();
        if (weightDecay !== 0) {
          // d = g + wd * w
          const decayed = new Float32Array(w.length);
          k.affine(w, weightDecay, 0, decayed);
          k.binary('add', d, STRIDE1, decayed, STRIDE1, decayed, shape);
          d = decayed;
        }
        if (momentum !== 0) {
          const first = !this.state.has(p);
          const buf = this.slots(p, ['momentum_buffer']).momentum_buffer;
          if (first) {
            buf.set(d);
          } else {
            // buf = momentum * buf + (1 - dampening) * d
            const scaled = new Float32Array(w.length);
            k.affine(d, 1 - dampening, 0, scaled);
            k.affine(buf, momentum, 0, buf);
            k.binary('add', buf, STRIDE1, scaled, STRIDE1, buf, shape);
          }
          if (nesterov) {
            const look = new Float32Array(w.length);
            k.affine(buf, momentum, 0, look);
            k.binary('add', d, STRIDE1, look, STRIDE1, look, shape);
            d = look;
          } else {
            d = buf;
          }
        }
        const stepv = new Float32Array(w.length);
        k.affine(d, lr, 0, stepv);
        k.binary('sub', w, STRIDE1, stepv, STRIDE1, w, shape);
      }
    }
  }
}

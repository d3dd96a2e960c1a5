// The gated feed-forward of Llama 3, Qwen3 (SwiGLU: silu) and Gemma 3 (GeGLU: tanh-GELU):
// fc3(act(fc1(x)) * fc2(x)), the book's FeedForward in ch05/07_gpt_to_llama (fc1 is transformers'
// gate_proj, fc2 its up_proj, fc3 its down_proj). Shapes: C width, H hidden size.
import { type InitOptions, Linear, Module } from '../../nn/index.js';
import type { Tensor } from '../../tensor/index.js';
import { linearsOf } from './linears.js';

export type GateActivation = 'silu' | 'gelu_tanh';

export class GatedFeedForward extends Module {
  fc1: Linear;
  fc2: Linear;
  fc3: Linear;

  constructor(
    embDim: number,
    hiddenDim: number,
    readonly activation: GateActivation,
    options: InitOptions & { bias?: boolean } = {},
  ) {
    super();
    const linear = { ...options, bias: options.bias ?? false };
    this.fc1 = new Linear(embDim, hiddenDim, linear);
    this.fc2 = new Linear(embDim, hiddenDim, linear);
    this.fc3 = new Linear(hiddenDim, embDim, linear);
  }

  forward(x: Tensor): Tensor {
    const [gate, up] = linearsOf(x, [this.fc1, this.fc2]); // (B, T, H) each
    const activated = this.activation === 'silu' ? gate.silu() : gate.gelu();
    return this.fc3.forward(activated.mul(up)); // (B, T, C)
  }
}

// Reverse-mode autograd. Each differentiable op records a GradFn on its output: its inputs and a
// backward that maps the output's gradient to one gradient per input (written with our own ops,
// so it runs on any backend). backward() walks the graph once in reverse topological order and
// then drops every GradFn it used, so the tape and the intermediates it holds are freed.
import { kernels } from '../backend/index.js';
import { formatShape, sameShape } from './shape.js';
import { Tensor } from './tensor.js';

export interface GradFn {
  name: string;
  inputs: Tensor[];
  backward: (grad: Tensor) => (Tensor | null)[];
}

let gradEnabled = true;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

// Runs fn without recording the graph (evaluation, generation, optimizer updates).
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

export function needsGrad(inputs: readonly Tensor[]): boolean {
  return gradEnabled && inputs.some((t) => t.requiresGrad);
}

// Attaches the backward of an op to its output when any input wants a gradient.
export function record(
  out: Tensor,
  name: string,
  inputs: Tensor[],
  backwardFn: (grad: Tensor) => (Tensor | null)[],
): Tensor {
  if (needsGrad(inputs)) {
    out.requiresGrad = true;
    out.gradFn = { name, inputs, backward: backwardFn };
  }
  return out;
}

function add(a: Tensor, b: Tensor): Tensor {
  const out = new Float32Array(a.size);
  const strides = a.shape.map((_, i) => a.shape.slice(i + 1).reduce((p, d) => p * d, 1));
  kernels().binary('add', a.f32(), strides, b.f32(), strides, out, a.shape);
  return new Tensor(out, a.shape);
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: a deep model's graph would overflow the call stack.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top[0].gradFn?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++];
      if (next.requiresGrad && !visited.has(next)) {
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      order.push(top[0]);
      stack.pop();
    }
  }
  return order.reverse();
}

export function backward(root: Tensor, grad: Tensor | undefined, retainGraph: boolean): void {
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not require grad (no input of its graph has requiresGrad)');
  }
  if (!grad && root.size !== 1) {
    throw new Error(
      `backward: a gradient must be given for a non-scalar output of shape ${formatShape(root.shape)}`,
    );
  }
  const seed = grad ?? new Tensor(new Float32Array(root.size).fill(1), root.shape);
  if (!sameShape(seed.shape, root.shape)) {
    throw new Error(
      `backward: gradient shape ${formatShape(seed.shape)} does not match ${formatShape(root.shape)}`,
    );
  }
  const pending = new Map<Tensor, Tensor>([[root, seed]]);
  noGrad(() => {
    for (const node of topologicalOrder(root)) {
      const g = pending.get(node);
      pending.delete(node);
      if (!g) continue;
      const fn = node.gradFn;
      if (!fn) {
        // A leaf: accumulate, never aliasing a gradient that flows elsewhere too.
        node.grad = node.grad ? add(node.grad, g) : g.clone();
        continue;
      }
      const inputGrads = fn.backward(g);
      fn.inputs.forEach((input, i) => {
        const ig = inputGrads[i];
        if (!ig || !input.requiresGrad) return;
        if (!sameShape(ig.shape, input.shape)) {
          throw new Error(
            `backward of ${fn.name}: gradient shape ${formatShape(ig.shape)} does not match input ${formatShape(input.shape)}`,
          );
        }
        const existing = pending.get(input);
        pending.set(input, existing ? add(existing, ig) : ig);
      });
      if (!retainGraph) node.gradFn = null;
    }
  });
}

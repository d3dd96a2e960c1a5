// Reverse-mode autograd. Each differentiable op records a GradFn on its output: its inputs and a
// backward that maps the output's gradient to one gradient per input (written with our own ops,
// so it runs on any backend). backward() walks the graph once in reverse topological order and
// then drops every GradFn it used, so the tape and the intermediates it holds are freed.
//
// Gradients cost no fresh memory once a step has run: a gradient temporary goes back to the
// buffer pool (storage.ts) as soon as the node it was for has used it, two gradients that meet
// are summed into one of them, a leaf's .grad accumulates in place or adopts the temporary that
// reached it, and with `recycle` the graph's own outputs and saved buffers go back too.
import { kernels } from '../backend/index.js';
import { formatShape, sameShape } from './shape.js';
import { capturing, emptyF32, release } from './storage.js';
import { Tensor, type TypedData } from './tensor.js';

export interface GradFn {
  name: string;
  inputs: Tensor[];
  backward: (grad: Tensor) => (Tensor | null)[];
  // Buffers only this backward reads (a norm's saved statistics, a dropout mask): a recycling
  // backward gives them back once it has run.
  saved?: TypedData[];
  // Gradients an op made ahead, in its forward, that its backward returns: autograd treats them as
  // temporaries of its own (a leaf may adopt one, a recycling walk gives the rest back).
  handsOver?: Float32Array[];
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
  saved?: TypedData[],
  handsOver?: Float32Array[],
): Tensor {
  if (needsGrad(inputs)) {
    out.requiresGrad = true;
    out.gradFn = { name, inputs, backward: backwardFn, saved, handsOver };
  }
  return out;
}

// out = a + b over same-shaped tensors; out may be a's buffer.
function addInto(a: Tensor, b: Tensor, out: Float32Array): void {
  const strides = a.shape.map((_, i) => a.shape.slice(i + 1).reduce((p, d) => p * d, 1));
  kernels().binary('add', a.f32(), strides, b.f32(), strides, out, a.shape);
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

export interface BackwardOptions {
  retainGraph?: boolean;
  // Give the graph's buffers back to the pool as the walk passes them: every tensor the graph made
  // except the root (the loss) is invalid afterwards. For training steps that keep nothing else.
  recycle?: boolean;
}

export function backward(root: Tensor, grad: Tensor | undefined, options: BackwardOptions = {}): void {
  if (!root.requiresGrad) {
    throw new Error('backward: the tensor does not require grad (no input of its graph has requiresGrad)');
  }
  if (!grad && root.size !== 1) {
    throw new Error(
      `backward: a gradient must be given for a non-scalar output of shape ${formatShape(root.shape)}`,
    );
  }
  if (grad && !sameShape(grad.shape, root.shape)) {
    throw new Error(
      `backward: gradient shape ${formatShape(grad.shape)} does not match ${formatShape(root.shape)}`,
    );
  }
  const recycle = (options.recycle ?? false) && !options.retainGraph;
  // The buffers taken while the walk runs: gradient temporaries, which nothing outside it can hold.
  const taken = new Set<Float32Array>();
  // How many pending gradients share each buffer (a backward may hand one gradient to two inputs).
  const holds = new Map<TypedData, number>();
  const hold = (t: Tensor) => holds.set(t.data, (holds.get(t.data) ?? 0) + 1);
  const soleTemporary = (t: Tensor) => taken.has(t.data as Float32Array) && holds.get(t.data) === 1;
  const drop = (t: Tensor) => {
    const n = (holds.get(t.data) ?? 1) - 1;
    if (n > 0) {
      holds.set(t.data, n);
      return;
    }
    holds.delete(t.data);
    if (taken.has(t.data as Float32Array)) release(t.data);
  };
  capturing(taken, () =>
    noGrad(() => {
      const seed = grad ?? new Tensor(emptyF32(1).fill(1), root.shape);
      const pending = new Map<Tensor, Tensor>([[root, seed]]);
      hold(seed);
      for (const node of topologicalOrder(root)) {
        const g = pending.get(node);
        pending.delete(node);
        if (!g) continue;
        const fn = node.gradFn;
        if (!fn) {
          // A leaf: accumulate in place, or adopt a temporary no other gradient shares.
          if (node.grad) addInto(node.grad, g, node.grad.f32());
          else if (soleTemporary(g)) {
            taken.delete(g.data as Float32Array);
            node.grad = g.data === node.data ? g.clone() : g.reshapeRaw(node.shape);
          } else node.grad = g.clone();
          drop(g);
          continue;
        }
        // What the backward takes and no pending gradient holds afterwards (its intermediates, the
        // gradients of inputs that want none) goes back to the pool once the inputs are served.
        const fresh = new Set<Float32Array>();
        const inputGrads = capturing(fresh, () => fn.backward(g));
        for (const buffer of fn.handsOver ?? []) fresh.add(buffer);
        for (const buffer of fresh) taken.add(buffer);
        fn.inputs.forEach((input, i) => {
          const ig = inputGrads[i];
          if (!ig || !input.requiresGrad) return;
          if (!sameShape(ig.shape, input.shape)) {
            throw new Error(
              `backward of ${fn.name}: gradient shape ${formatShape(ig.shape)} does not match input ${formatShape(input.shape)}`,
            );
          }
          hold(ig);
          const existing = pending.get(input);
          if (!existing) pending.set(input, ig);
          else if (soleTemporary(existing)) {
            addInto(existing, ig, existing.f32());
            drop(ig);
          } else {
            const sum = new Tensor(emptyF32(ig.size), ig.shape);
            addInto(existing, ig, sum.f32());
            hold(sum);
            pending.set(input, sum);
            drop(existing);
            drop(ig);
          }
        });
        drop(g);
        for (const buffer of fresh) if (!holds.has(buffer) && taken.has(buffer)) release(buffer);
        if (!options.retainGraph) node.gradFn = null;
        if (recycle) {
          for (const buffer of fn.saved ?? []) release(buffer);
          if (node !== root && node.ownsData) release(node.data);
        }
      }
    }),
  );
}

// Attaches the ops as chainable Tensor methods (x.matmul(w).add(b).softmax(-1)), declared once here
// so that the op modules and the Tensor class do not import each other.
import * as ew from './ops/elementwise.js';
import * as ix from './ops/index-ops.js';
import { matmul, type MatmulOptions } from './ops/matmul.js';
import { logSoftmax, softmax } from './ops/nn.js';
import * as red from './ops/reduce.js';
import * as sh from './ops/shape.js';
import type { Shape } from './shape.js';
import { Tensor, type TensorLike } from './tensor.js';

type Axes = number | number[];

declare module './tensor.js' {
  interface Tensor {
    add(other: TensorLike): Tensor;
    sub(other: TensorLike): Tensor;
    mul(other: TensorLike): Tensor;
    div(other: TensorLike): Tensor;
    pow(other: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    tanh(): Tensor;
    relu(): Tensor;
    gelu(): Tensor;
    silu(): Tensor;
    abs(): Tensor;
    square(): Tensor;
    eq(other: TensorLike): Tensor;
    gt(other: TensorLike): Tensor;
    ge(other: TensorLike): Tensor;
    lt(other: TensorLike): Tensor;
    sum(axes?: Axes, options?: red.ReduceOptions): Tensor;
    mean(axes?: Axes, options?: red.ReduceOptions): Tensor;
    max(axes?: Axes, options?: red.ReduceOptions): Tensor;
    min(axes?: Axes, options?: red.ReduceOptions): Tensor;
    var(axes?: Axes, options?: red.ReduceOptions & { correction?: number }): Tensor;
    argmax(axis?: number, options?: red.ReduceOptions): Tensor;
    argmin(axis?: number, options?: red.ReduceOptions): Tensor;
    reshape(shape: Shape): Tensor;
    view(shape: Shape): Tensor;
    flatten(startAxis?: number, endAxis?: number): Tensor;
    squeeze(axis?: number): Tensor;
    unsqueeze(axis: number): Tensor;
    transpose(axis0?: number, axis1?: number): Tensor;
    permute(perm: readonly number[]): Tensor;
    narrow(axis: number, start: number, length: number): Tensor;
    slice(axis: number, start?: number, end?: number): Tensor;
    expand(shape: Shape): Tensor;
    split(sizes: number | number[], axis?: number): Tensor[];
    chunk(chunks: number, axis?: number): Tensor[];
    matmul(other: Tensor, options?: MatmulOptions): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    maskedFill(mask: Tensor, value: number): Tensor;
    indexSelect(axis: number, index: Tensor): Tensor;
    gather(axis: number, index: Tensor): Tensor;
    // int32 -> float32 copy (no gradient).
    toFloat(): Tensor;
  }
}

const p = Tensor.prototype;
p.add = function (o) {
  return ew.add(this, o);
};
p.sub = function (o) {
  return ew.sub(this, o);
};
p.mul = function (o) {
  return ew.mul(this, o);
};
p.div = function (o) {
  return ew.div(this, o);
};
p.pow = function (o) {
  return ew.pow(this, o);
};
p.neg = function () {
  return ew.neg(this);
};
p.exp = function () {
  return ew.exp(this);
};
p.log = function () {
  return ew.log(this);
};
p.sqrt = function () {
  return ew.sqrt(this);
};
p.rsqrt = function () {
  return ew.rsqrt(this);
};
p.tanh = function () {
  return ew.tanh(this);
};
p.relu = function () {
  return ew.relu(this);
};
p.gelu = function () {
  return ew.gelu(this);
};
p.silu = function () {
  return ew.silu(this);
};
p.abs = function () {
  return ew.abs(this);
};
p.square = function () {
  return ew.square(this);
};
p.eq = function (o) {
  return ew.eq(this, o);
};
p.gt = function (o) {
  return ew.gt(this, o);
};
p.ge = function (o) {
  return ew.ge(this, o);
};
p.lt = function (o) {
  return ew.lt(this, o);
};
p.sum = function (a, o) {
  return red.sum(this, a, o);
};
p.mean = function (a, o) {
  return red.mean(this, a, o);
};
p.max = function (a, o) {
  return red.max(this, a, o);
};
p.min = function (a, o) {
  return red.min(this, a, o);
};
p.var = function (a, o) {
  return red.variance(this, a, o);
};
p.argmax = function (a, o) {
  return red.argmax(this, a, o);
};
p.argmin = function (a, o) {
  return red.argmin(this, a, o);
};
p.reshape = function (s) {
  return sh.reshape(this, s);
};
p.view = function (s) {
  return sh.reshape(this, s);
};
p.flatten = function (s, e) {
  return sh.flatten(this, s, e);
};
p.squeeze = function (a) {
  return sh.squeeze(this, a);
};
p.unsqueeze = function (a) {
  return sh.unsqueeze(this, a);
};
p.transpose = function (a, b) {
  return sh.transpose(this, a, b);
};
p.permute = function (perm) {
  return sh.permute(this, perm);
};
p.narrow = function (a, s, l) {
  return sh.narrow(this, a, s, l);
};
p.slice = function (a, s, e) {
  return sh.slice(this, a, s, e);
};
p.expand = function (s) {
  return sh.broadcastTo(this, s);
};
p.split = function (s, a) {
  return sh.split(this, s, a);
};
p.chunk = function (c, a) {
  return sh.chunk(this, c, a);
};
p.matmul = function (o, opts) {
  return matmul(this, o, opts);
};
p.softmax = function (a) {
  return softmax(this, a);
};
p.logSoftmax = function (a) {
  return logSoftmax(this, a);
};
p.maskedFill = function (m, v) {
  return ix.maskedFill(this, m, v);
};
p.indexSelect = function (a, i) {
  return ix.indexSelect(this, a, i);
};
p.gather = function (a, i) {
  return ix.gather(this, a, i);
};
p.toFloat = function () {
  return new Tensor(Float32Array.from(this.data), this.shape);
};

// Saving and loading a module's state dict as a safetensors file.
import type { Module } from '../nn/index.js';
import type { Tensor } from '../tensor/index.js';
import { readSafetensors, writeSafetensors } from './safetensors.js';

export function saveStateDict(
  file: string,
  state: Map<string, Tensor>,
  metadata: Record<string, string> = {},
): void {
  writeSafetensors(file, state, metadata);
}

export function loadStateDict(file: string): Map<string, Tensor> {
  return readSafetensors(file).tensors;
}

export function saveModule(file: string, module: Module): void {
  saveStateDict(file, module.stateDict());
}

export function loadModule(file: string, module: Module, options: { strict?: boolean } = {}): void {
  module.loadStateDict(loadStateDict(file), options);
}

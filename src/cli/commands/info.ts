import { kernels } from '../../backend/index.js';
import { loadNative, nativeLoadError } from '../../backend/native.js';
import { version } from '../../version.js';
import { defineCommand } from '../command.js';

export interface BackendInfo {
  backend: string;
  isa: string | null;
  threads: number;
  nativeError: string | null;
}

export function backendInfo(): BackendInfo {
  const active = kernels();
  const native = loadNative();
  const info = active.name === 'native' && native ? native.info() : null;
  return {
    backend: active.name,
    isa: info?.isa ?? null,
    threads: info?.threads ?? 1,
    nativeError: native ? null : nativeLoadError(),
  };
}

export const infoCommand = defineCommand({
  name: 'info',
  summary: 'Show the version, the kernel backend, its instruction set and threads',
  options: {
    json: { type: 'boolean', description: 'print JSON on stdout' },
  },
  examples: ['llm-scratch info', 'LLM_SCRATCH_BACKEND=ts llm-scratch info --json'],
  run({ options, stdout }) {
    const report = { version, node: process.version, ...backendInfo() };
    if (options.json) {
      stdout(JSON.stringify(report) + '\n');
      return;
    }
    const lines = [
      `llm-scratch ${report.version} (Node ${report.node})`,
      `backend:  ${report.backend}${report.isa ? ` (${report.isa})` : ''}`,
      `threads:  ${report.threads}`,
    ];
    if (report.nativeError) lines.push(`native:   not available (${report.nativeError})`);
    stdout(lines.join('\n') + '\n');
  },
});

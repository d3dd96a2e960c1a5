import { kernels } from '../../backend/index.js';
import { loadNative, nativeLoadError } from '../../backend/native.js';
import { PRESETS } from '../../llm/presets.js';
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
  summary: "Show the version and kernel backend, or a model config's size (--config)",
  options: {
    config: {
      type: 'string',
      value: 'PRESET',
      choices: Object.keys(PRESETS),
      description: 'print the parameter count and memory of a preset',
    },
    json: { type: 'boolean', description: 'print JSON on stdout' },
  },
  examples: [
    'llm-scratch info',
    'llm-scratch info --config gpt2-small',
    'LLM_SCRATCH_BACKEND=ts llm-scratch info --json',
  ],
  async run({ options, stdout }) {
    // Loaded here, so that other commands start without them.
    const { modelSize, presetConfig } = await import('../../llm/gpt.js');
    if (options.config) {
      const config = presetConfig(options.config);
      const size = modelSize(config);
      const withBias = modelSize({ ...config, qkvBias: true });
      const report = {
        config: options.config,
        ...config,
        parameters: size.parameters,
        parametersTied: size.parametersTied,
        parametersTiedQkvBias: withBias.parametersTied,
        megabytes: +size.megabytes.toFixed(2),
      };
      if (options.json) {
        stdout(JSON.stringify(report) + '\n');
        return;
      }
      const n = (x: number) => x.toLocaleString('en-US');
      stdout(
        [
          `${options.config}: ${config.nLayers} layers, ${config.nHeads} heads, ${config.embDim} dims, context ${config.contextLength}, vocabulary ${config.vocabSize}`,
          `parameters:            ${n(size.parameters)} (output head untied)`,
          `with a tied head:      ${n(size.parametersTied)}`,
          `tied, with qkv bias:   ${n(withBias.parametersTied)} (OpenAI's GPT-2)`,
          `memory (float32):      ${size.megabytes.toFixed(2)} MB`,
        ].join('\n') + '\n',
      );
      return;
    }
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

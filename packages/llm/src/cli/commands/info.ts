import { kernels } from '../../backend/index.js';
import { loadNative, nativeLoadError } from '../../backend/native.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from 'llm-scratch-core/errors';
import { PRESETS } from '../../llm/presets.js';
import { dataPath } from '../../paths.js';
import { version } from '../../version.js';
import { defineCommand } from 'llm-scratch-core/cli/command';

export interface BackendInfo {
  backend: string;
  isa: string | null;
  threads: number;
  // The GEMM's micro-kernel, and how its threads split a product (native/thread_distance.cc).
  gemmKernel: string | null;
  gemmThreads: string | null;
  coreLatencyNs: number | null;
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
    gemmKernel: info?.gemmKernel ?? null,
    gemmThreads: info?.gemmThreads ?? null,
    coreLatencyNs: info && info.coreLatencyNs > 0 ? Math.round(info.coreLatencyNs) : null,
    nativeError: native ? null : nativeLoadError(),
  };
}

export const infoCommand = defineCommand({
  name: 'info',
  summary: "Show the version and kernel backend, or a model's family and size (--config, --model)",
  options: {
    config: {
      type: 'string',
      value: 'NAME|FILE',
      description: `print the family, shape, parameter count and memory of a preset (${Object.keys(PRESETS).join(', ')}), a released model's config (${releasedConfigs().join(', ')}) or a config.json file`,
    },
    model: {
      type: 'string',
      value: 'DIR',
      description: 'print the same of a model directory, with its weight files (checked against the config)',
    },
    json: { type: 'boolean', description: 'print JSON on stdout' },
  },
  examples: [
    'llm-scratch info',
    'llm-scratch info --config gpt2-small',
    'llm-scratch info --config llama-3.2-1b',
    'llm-scratch info --config path/to/model/config.json --json',
    'llm-scratch info --model path/to/model',
    'LLM_SCRATCH_BACKEND=ts llm-scratch info --json',
  ],
  async run({ options, stdout }) {
    // Loaded here, so that other commands start without them.
    const { modelSize, presetConfig } = await import('../../llm/gpt.js');
    if (options.config !== undefined && options.model !== undefined)
      throw new UsageError('give one of --config and --model');
    if (options.model !== undefined || (options.config && !(options.config in PRESETS))) {
      const { configReport, weightsReport } = await import('../../llm/families/report.js');
      const label = options.model ?? options.config!;
      let report: ReturnType<typeof configReport> & { weights?: ReturnType<typeof weightsReport> };
      if (options.model !== undefined) {
        const { resolveModelDir } = await import('../model-dir.js');
        const dir = resolveModelDir(options.model);
        report = { ...configReport(join(dir, 'config.json')), weights: weightsReport(dir) };
      } else report = configReport(configPath(options.config!));
      if (options.json) {
        stdout(
          JSON.stringify({ [options.model !== undefined ? 'model' : 'config']: label, ...report }) + '\n',
        );
        return;
      }
      const n = (x: number) => x.toLocaleString('en-US');
      const shape = Object.entries(report.shape).map(([k, v]) => `${k} ${v}`);
      const lines = [
        `${label}: ${report.family} (model_type ${report.modelType}); ${shape.join(', ')}`,
        `parameters:            ${n(report.parameters)}${report.tiedEmbeddings ? ' (output head tied to the embedding)' : ''}`,
        `without embeddings:    ${n(report.parametersNonEmbedding)}`,
        `memory (float32):      ${report.megabytes.toFixed(2)} MB`,
        `memory (bfloat16):     ${(report.megabytes / 2).toFixed(2)} MB`,
      ];
      const w = report.weights;
      if (w)
        lines.push(
          `weights:               ${w.files.length} file${w.files.length > 1 ? 's' : ''}, ${(w.bytes / 2 ** 20).toFixed(2)} MB (${Object.entries(
            w.dtypes,
          )
            .map(([d, c]) => `${c} ${d}`)
            .join(', ')} tensors)`,
        );
      stdout(lines.join('\n') + '\n');
      return;
    }
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
    if (report.gemmKernel)
      lines.push(
        `gemm:     ${report.gemmKernel}; ${report.gemmThreads}${report.coreLatencyNs ? ` (cores ${report.coreLatencyNs} ns apart)` : ''}`,
      );
    if (report.nativeError) lines.push(`native:   not available (${report.nativeError})`);
    stdout(lines.join('\n') + '\n');
  },
});

// The released models' configs shipped in data/configs, by name.
function releasedConfigs(): string[] {
  const dir = dataPath('configs');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
}

// --config as a file: a shipped config by name, a config.json, or a model directory holding one.
function configPath(value: string): string {
  if (releasedConfigs().includes(value)) return dataPath('configs', `${value}.json`);
  if (existsSync(value)) return statSync(value).isDirectory() ? `${value}/config.json` : value;
  throw new UsageError(
    `--config must be one of ${[...Object.keys(PRESETS), ...releasedConfigs()].join(', ')} or a config.json file, got '${value}'`,
  );
}

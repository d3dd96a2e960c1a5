// What `info --config` says of any family's config.json: the family, its shape, and the parameter
// count computed from the family's declared tensor map (no weights read, nothing allocated).
import { basename } from 'node:path';
import { readConfigFile } from '../../io/hub-config.js';
import { openHubWeights } from '../../io/hub-weights.js';
import type { ShapeSummary } from './family.js';
import { checkModelDir } from './load.js';
import { familyFor } from './registry.js';

export interface ConfigReport {
  family: string;
  modelType: string;
  shape: ShapeSummary;
  tiedEmbeddings: boolean;
  parameters: number;
  parametersNonEmbedding: number;
  // float32 size of the parameters, in MB of 2^20 bytes.
  megabytes: number;
}

export function configReport(file: string): ConfigReport {
  const { config: hf, path } = readConfigFile(file);
  const family = familyFor(hf, path);
  const config = family.configFromHF(hf, path);
  const count = family.parameterCount(config);
  const shape = family.summary(config);
  return {
    family: family.name,
    modelType: typeof hf.model_type === 'string' ? hf.model_type : family.modelTypes[0],
    shape,
    tiedEmbeddings: shape.tiedEmbeddings === true,
    parameters: count.total,
    parametersNonEmbedding: count.nonEmbedding,
    megabytes: +((count.total * 4) / 2 ** 20).toFixed(2),
  };
}

export interface WeightsReport {
  files: string[];
  // Bytes of tensor data in the files.
  bytes: number;
  // How many tensors of each stored dtype.
  dtypes: Record<string, number>;
}

// A model directory's weight files, after checking them against its config (headers only).
export function weightsReport(dir: string): WeightsReport {
  checkModelDir(dir);
  const weights = openHubWeights(dir);
  try {
    const dtypes: Record<string, number> = {};
    let bytes = 0;
    for (const t of weights.tensors.values()) {
      dtypes[t.dtype] = (dtypes[t.dtype] ?? 0) + 1;
      bytes += t.end - t.begin;
    }
    return { files: weights.files.map((f) => basename(f)), bytes, dtypes };
  } finally {
    weights.close();
  }
}

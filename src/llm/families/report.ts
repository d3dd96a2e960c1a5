// What `info --config` says of any family's config.json: the family, its shape, and the parameter
// count computed from the family's declared tensor map (no weights read, nothing allocated).
import { readConfigFile } from '../../io/hub-config.js';
import type { ShapeSummary } from './family.js';
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

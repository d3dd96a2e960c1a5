// The llm-scratch program's commands, in the order --help lists them.
import type { Command } from '../command.js';
import { benchGemmCommand } from './bench.js';
import { bpeTrainCommand } from './bpe-train.js';
import { classifyCommand } from './classify.js';
import { decodeCommand } from './decode.js';
import { finetuneClassifierCommand } from './finetune-classifier.js';
import { generateCommand } from './generate.js';
import { infoCommand } from './info.js';
import { logitsCommand } from './logits.js';
import { prepareCommand } from './prepare.js';
import { serveCommand } from './serve.js';
import { tokenizeCommand } from './tokenize.js';
import { trainCommand } from './train.js';

export const commands = [
  infoCommand,
  tokenizeCommand,
  decodeCommand,
  bpeTrainCommand,
  prepareCommand,
  generateCommand,
  logitsCommand,
  trainCommand,
  finetuneClassifierCommand,
  classifyCommand,
  serveCommand,
  benchGemmCommand,
] as unknown as Command[];

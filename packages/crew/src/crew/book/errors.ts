import { UserError } from 'llm-scratch-core/errors';

/**
 * The one error type of the book tools. Its message is the single line a user sees (the CLI prints it
 * and exits 1), so it always names the input at fault and what is wrong with it.
 */
export class BookError extends UserError {
  constructor(
    message: string,
    readonly code: 'not-pdf' | 'corrupt' | 'encrypted' | 'bad-password' | 'no-structure' | 'bad-input' | 'io',
  ) {
    super(message);
  }
  override name = 'BookError';
}

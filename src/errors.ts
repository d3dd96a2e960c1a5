// Errors that a user caused (a bad file, a bad flag value, data that does not fit) as opposed to bugs.
// The CLI prints a UserError as one line and exits 1; anything else is a bug and shows its stack.
export class UserError extends Error {
  override name = 'UserError';
}

// Wrong command-line usage: printed with a pointer to --help, exit code 2.
export class UsageError extends Error {
  override name = 'UsageError';
}

// Errors that a user caused (a bad file, a bad flag value, data that does not fit) as opposed to bugs.
// The CLI prints a UserError as one line and exits 1; anything else is a bug and shows its stack.
export class UserError extends Error {
  override name = 'UserError';
}

// Wrong command-line usage: printed with a pointer to --help, exit code 2.
export class UsageError extends Error {
  override name = 'UsageError';
}

// The user pressed Ctrl-C and the run saved its work before stopping: the CLI prints the message and
// exits 130, as a shell expects of a process ended by SIGINT (128 + 2), so that `train && next`
// does not go on.
export class Interrupted extends Error {
  override name = 'Interrupted';
}

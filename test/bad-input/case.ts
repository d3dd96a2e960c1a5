// One row of the bad-input table (docs/bad-input.md): a misuse of a command, run in-process in a
// scratch directory, and what the user must see. The table in docs is generated from these rows
// and a test checks both that every row still behaves so and that the page is up to date.
export interface BadInputCase {
  program: 'llm-scratch' | 'llm-crew';
  // The kind of bad input, as the table groups them: 'missing file', 'negative number', ...
  kind: string;
  // The command line after the program's name. '{dir}' becomes the scratch directory (also the
  // working directory), '{model}' a tiny GPT-2 model directory inside it.
  args: string[];
  // Writes what the case needs into the scratch directory before the command runs.
  setup?: (dir: string) => void;
  // 0 where the documented behaviour is to go on (with a warning, say), 1 user error, 2 bad usage.
  exit: 0 | 1 | 2;
  // A fragment of what the command prints on stderr (the one-line message).
  stderr: string | RegExp;
}

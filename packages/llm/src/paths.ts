// Paths inside the installed package. Sources (src/) and the build (dist/) sit at the same depth,
// so one relative path serves both.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..');

export function dataPath(...parts: string[]): string {
  return join(packageRoot, 'data', ...parts);
}

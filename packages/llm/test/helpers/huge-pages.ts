// What the kernel says about 2 MiB pages (transparent huge pages), for tests that check where the
// native backend puts a buffer: the process's anonymous memory on them, and whether they are offered.
import { existsSync, readFileSync } from 'node:fs';

// The process's anonymous memory on 2 MiB pages, in bytes (Linux).
export const anonHugeBytes = (): number =>
  Number(/AnonHugePages:\s+(\d+) kB/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))![1]) * 1024;

const THP = '/sys/kernel/mm/transparent_hugepage/enabled';
// The kernel's mode, as '[always]', '[madvise]' or '[never]' among the others ('' without THP).
export const thpMode = existsSync(THP) ? readFileSync(THP, 'utf8') : '';
export const hugePagesOffered =
  thpMode !== '' && existsSync('/proc/self/smaps_rollup') && !/\[never\]/.test(thpMode);

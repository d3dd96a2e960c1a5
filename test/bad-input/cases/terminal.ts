import type { BadInputCase } from '../case.js';

export const cases: BadInputCase[] = [];

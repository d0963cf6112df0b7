import type { OracleCase } from './harness.mjs';
export declare const cases: OracleCase[];
export declare const findCases: { id: string; kh: string; name: string }[];
export declare const hashNames: string[];

// The CLI's argument parsers, one of each: durations and budgets, comma lists (lanes, profiles,
// policies; repeatable flags too), numbers with their checks, choices. Every error is a UsageError
// naming the flag, what was given and what it should look like.
import { UsageError } from './command';
import { granularityProblem, type Granularity } from '../common/granularity';

const UNIT_SECONDS: Record<string, number> = { ms: 1e-3, s: 1, m: 60, min: 60, h: 3600 };

/** A duration in seconds: "30s", "500ms", "2m", "2min", "1h", or a bare number of seconds ("90"). Must be > 0. */
export function parseDuration(v: unknown, flag = '--duration'): number {
  const s = String(v).trim();
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|min|h)?$/.exec(s);
  const x = m ? Number(m[1]) * UNIT_SECONDS[m[2] ?? 's'] : NaN;
  if (!(x > 0)) throw new UsageError(`${flag} must look like 30s, 500ms or 2m, and be > 0 (got ${s || '""'})`);
  return x;
}

/**
 * A comma-separated list, from one flag value or a repeatable flag's values ("a,b" or -p a -p b -p
 * c,d); blanks dropped. Undefined when the flag was not given.
 */
export function parseList(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  const parts = Array.isArray(v) ? v.map(String) : [String(v)];
  return parts.flatMap((p) => p.split(',')).map((s) => s.trim()).filter(Boolean);
}

/** Like parseList, but an empty list is an error (e.g. `--lanes ""`). */
export function parseNonEmptyList(v: unknown, flag: string, example: string): string[] | undefined {
  const list = parseList(v);
  if (list && list.length === 0) throw new UsageError(`${flag}: give at least one value, e.g. ${flag} ${example}`);
  return list;
}

export interface NumberRule {
  /** Smallest allowed value and whether it is allowed itself (default: > 0). */
  min?: number;
  minInclusive?: boolean;
  max?: number;
  integer?: boolean;
}

/** The rule in words: "a positive integer", "a non-negative number", "an integer from 0 to 65535", "a number > 1". */
function describeRule(r: NumberRule): string {
  const kind = r.integer ? 'integer' : 'number';
  const min = r.min ?? 0;
  if (r.max !== undefined && r.minInclusive) return `${r.integer ? 'an' : 'a'} ${kind} from ${min} to ${r.max}`;
  const upper = r.max !== undefined ? ` and <= ${r.max}` : '';
  if (min === 0) return `${r.minInclusive ? 'a non-negative' : 'a positive'} ${kind}${upper}`;
  return `${r.integer ? 'an' : 'a'} ${kind} ${r.minInclusive ? '>=' : '>'} ${min}${upper}`;
}

/** A number with its rule (default: a positive number). */
export function parseNumber(v: unknown, flag: string, rule: NumberRule = {}): number {
  const s = String(v).trim();
  const x = s === '' ? NaN : Number(s);
  const min = rule.min ?? 0;
  const ok = Number.isFinite(x) && (rule.minInclusive ? x >= min : x > min) && (rule.max === undefined || x <= rule.max) && (!rule.integer || Number.isInteger(x));
  if (!ok) throw new UsageError(`${flag} must be ${describeRule(rule)} (got ${s || '""'})`);
  return x;
}

/** parseNumber for an optional flag: undefined when not given. */
export function optionalNumber(v: unknown, flag: string, rule: NumberRule = {}): number | undefined {
  return v === undefined ? undefined : parseNumber(v, flag, rule);
}

/** A list of numbers, each with the rule ("0.5,1,2"). */
export function parseNumberList(v: unknown, flag: string, rule: NumberRule = {}): number[] | undefined {
  return parseNonEmptyList(v, flag, '1,2')?.map((s) => parseNumber(s, flag, rule));
}

/** A dispatch granularity: layer, model or group:K. */
export function parseGranularityOption(v: unknown, flag = '--granularity'): Granularity {
  const s = String(v).trim();
  const problem = granularityProblem(s);
  if (problem) throw new UsageError(`${flag}: ${problem}`);
  return s as Granularity;
}

/** One of a fixed set of words. */
export function parseChoice<T extends string>(v: unknown, flag: string, choices: readonly T[]): T {
  const s = String(v).trim();
  if (!(choices as readonly string[]).includes(s)) throw new UsageError(`${flag} must be ${choices.join(' or ')} (got ${s || '""'})`);
  return s as T;
}

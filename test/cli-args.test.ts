// The CLI's one argument module: durations and budgets, lists, numbers, choices.
import { describe, expect, it } from 'vitest';
import { optionalNumber, parseChoice, parseDuration, parseList, parseNonEmptyList, parseNumber, parseNumberList } from '../cli/args';
import { UsageError } from '../cli/command';
import { parseInputFlag, parseShapeFlag } from '../cli/commands/profile';

describe('cli args', () => {
  it('parses durations and budgets in one way', () => {
    expect(parseDuration('30s')).toBe(30);
    expect(parseDuration('500ms')).toBe(0.5);
    expect(parseDuration('2m')).toBe(120);
    expect(parseDuration('2min')).toBe(120);
    expect(parseDuration('1h')).toBe(3600);
    expect(parseDuration(' 90 ')).toBe(90);
    expect(parseDuration('0.25s', '--budget')).toBe(0.25);
    expect(() => parseDuration('0s')).toThrow(/--duration must look like 30s, 500ms or 2m, and be > 0 \(got 0s\)/);
    expect(() => parseDuration('soon', '--budget')).toThrow(UsageError);
    expect(() => parseDuration('-1s', '--budget')).toThrow(/--budget/);
    expect(() => parseDuration('10 s')).toThrow(/--duration/);
  });

  it('parses comma lists and repeated flags alike', () => {
    expect(parseList(undefined)).toBeUndefined();
    expect(parseList('cpu:1, cpu:1,')).toEqual(['cpu:1', 'cpu:1']);
    expect(parseList(['a', 'b,c'])).toEqual(['a', 'b', 'c']);
    expect(parseList('')).toEqual([]);
    expect(parseNonEmptyList('cpu:2,webgpu', '--lanes', 'cpu:1')).toEqual(['cpu:2', 'webgpu']);
    expect(() => parseNonEmptyList(' , ', '--lanes', 'cpu:1,cpu:1')).toThrow(/--lanes: give at least one value, e.g. --lanes cpu:1,cpu:1/);
  });

  it('checks numbers against their rule and says the rule', () => {
    expect(parseNumber('0.5', '--load')).toBe(0.5);
    expect(() => parseNumber('0', '--load')).toThrow(/--load must be a positive number \(got 0\)/);
    expect(parseNumber('0', '--noise', { minInclusive: true })).toBe(0);
    expect(() => parseNumber('-1', '--noise', { minInclusive: true })).toThrow(/non-negative number/);
    expect(() => parseNumber('1.5', '--seeds', { integer: true })).toThrow(/--seeds must be a positive integer \(got 1.5\)/);
    expect(() => parseNumber('70000', '--port', { integer: true, minInclusive: true, max: 65535 })).toThrow(/--port must be an integer from 0 to 65535/);
    expect(() => parseNumber('', '--window')).toThrow(/got ""/);
    expect(() => parseNumber('abc', '--window')).toThrow(/--window/);
    expect(optionalNumber(undefined, '--scale')).toBeUndefined();
    expect(optionalNumber('2', '--scale')).toBe(2);
    expect(parseNumberList('1,2.5', '--slos')).toEqual([1, 2.5]);
    expect(() => parseNumberList('1,x', '--slos')).toThrow(/--slos must be a positive number \(got x\)/);
  });

  it('accepts only the listed choices', () => {
    expect(parseChoice('layer', '--preemption', ['layer', 'model'] as const)).toBe('layer');
    expect(() => parseChoice('all', '--preemption', ['layer', 'model'] as const)).toThrow(/--preemption must be layer or model \(got all\)/);
  });

  it('--shape and --input (profile and variants): parsed by the profiler, bad values are usage errors', () => {
    expect(parseShapeFlag(undefined)).toBeUndefined();
    expect(parseShapeFlag(['x=1x3x8x8', 'sr=scalar'])).toEqual({ x: [1, 3, 8, 8], sr: [] });
    expect(() => parseShapeFlag(['x=1xtwo'])).toThrow(UsageError);
    expect(() => parseShapeFlag(['x=1xtwo'])).toThrow(/bad --shape 'x=1xtwo'/);
    expect(parseInputFlag(undefined)).toBeUndefined();
    expect(parseInputFlag(['sr=16000', 'mask=1,1,0'])).toEqual({ sr: 16000, mask: [1, 1, 0] });
    expect(() => parseInputFlag(['sr='])).toThrow(UsageError);
    expect(() => parseInputFlag(['sr=fast'])).toThrow(/bad input value 'sr=fast'/);
  });
});

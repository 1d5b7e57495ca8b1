// The engine contract: the feature list (declared once, each method and event in the file its prefix
// names), declared event topics, the one error-code union and its one mapping, the version's source.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EngineClient } from '../engine/client';
import { Engine } from '../engine/engine';
import { errorCode } from '../engine/error-map';
import { ERROR_CODES, EngineError, isErrorCode } from '../engine/errors';
import { emitter, event, method } from '../engine/feature';
import { features } from '../engine/features';
import { createEngine, localClient } from '../engine/local';
import type { Reply } from '../engine/protocol';
import { TOPICS } from '../engine/topics';
import { ShapeError } from '../profiler/onnx/shapes';
import { ProfileStoreError } from '../profiler/store';
import { LiveSetupError } from '../scheduler/live/models';
import { RunStoreError } from '../scheduler/live/runs-store';
import { SimWorkloadError } from '../scheduler/sim-workload';
import { DemandError } from '../workloads/demand';
import { ModelResolveError } from '../workloads/library';
import { ScenarioError } from '../workloads/scenario';
import { XrbenchParseError } from '../workloads/xrbench';
import { errorHint } from '../renderer/error-hints';

const featuresDir = join(__dirname, '..', 'engine', 'features');

describe('feature list', () => {
  it('puts every method and event topic in the feature (and file) its prefix names', async () => {
    for (const f of features) {
      for (const name of Object.keys(f.methods)) expect(name.split('.')[0], `method ${name} in feature ${f.name}`).toBe(f.name);
      for (const topic of Object.keys((f as { events?: object }).events ?? {})) expect(topic.split('.')[0], `event ${topic} in feature ${f.name}`).toBe(f.name);
    }
    const files = readdirSync(featuresDir).filter((n) => n.endsWith('.ts') && n !== 'index.ts');
    for (const file of files) {
      const mod = (await import(join(featuresDir, file))) as Record<string, unknown>;
      const declared = Object.values(mod).filter((v): v is { name: string; methods: object } => typeof v === 'object' && v !== null && 'methods' in v && 'name' in v);
      expect(declared.map((d) => d.name), file).toEqual([file.replace(/\.ts$/, '')]);
      expect(features, `${file} is in the feature list`).toContain(declared[0]);
    }
    expect(features.length).toBe(files.length);
  });

  it('serves every feature\u2019s methods and declares its topics', () => {
    const engine = createEngine();
    const methods = engine.describe().map((d) => d.method);
    expect(methods.length).toBe(features.reduce((n, f) => n + Object.keys(f.methods).length, 0));
    expect(engine.describeEvents().map((e) => e.topic).sort()).toEqual(['engine.state', 'live.telemetry']);
    // The topic constants name exactly the declared topics.
    expect(Object.values(TOPICS).sort()).toEqual(engine.describeEvents().map((e) => e.topic).sort());
  });

  it('writes no topic by hand in the renderer or the CLI: they subscribe through TOPICS', () => {
    const root = join(__dirname, '..');
    const files = ['renderer', 'cli'].flatMap((d) => (readdirSync(join(root, d), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(root, d, f)));
    expect(files.length).toBeGreaterThan(10);
    const literal = new RegExp(`['"\`](${Object.values(TOPICS).map((t) => t.replace('.', '\\.')).join('|')})['"\`]`);
    for (const f of files) {
      // Comments may name a topic; code may not.
      const code = readFileSync(f, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
      expect(literal.exec(code)?.[0], f).toBeUndefined();
    }
  });

  it('reports the version written in package.json', async () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { version: string };
    const { client, close } = localClient();
    try {
      expect((await client.call('engine.info', {})).tessera).toBe(pkg.version);
    } finally {
      close();
    }
  });
});

describe('events', () => {
  const events = { 'demo.tick': event<{ n: number }>('a counter') };
  const emit = emitter(events);
  const demo = {
    name: 'demo',
    events,
    methods: {
      'demo.run': method({ summary: 'emits', params: z.object({}).strict(), run: async (_p, ctx) => emit(ctx, 'demo.tick', { n: 1 }) }),
      'demo.rogue': method({ summary: 'emits an undeclared topic', params: z.object({}).strict(), run: async (_p, ctx) => ctx.emit('demo.undeclared', 1) }),
    },
  };

  it('delivers a declared topic and refuses an undeclared one', async () => {
    const engine = new Engine([demo]);
    let deliver: (r: Reply) => void = () => {};
    const conn = engine.connect((r) => queueMicrotask(() => deliver(r)));
    const client = new EngineClient({ send: (r) => conn.handle(r), onReply: (l) => (deliver = l) }) as unknown as { call(m: string, p: unknown): Promise<unknown>; on(t: string, l: (d: unknown) => void): () => void };
    const got: unknown[] = [];
    client.on('demo.tick', (d) => got.push(d));
    await client.call('demo.run', {});
    await new Promise((r) => setTimeout(r, 0));
    expect(got).toEqual([{ n: 1 }]);
    await expect(client.call('demo.rogue', {})).rejects.toThrow(/event topic "demo.undeclared" is not declared.*demo.tick/);
  });

  it('refuses a topic declared twice', () => {
    expect(() => new Engine([demo, { ...demo, name: 'demo2', methods: {} }])).toThrow(/demo.tick is declared twice/);
  });
});

describe('error codes', () => {
  it('maps each library error to one code of the union', () => {
    const cases: [unknown, string][] = [
      [new ScenarioError(['tenants[0].fps: must be > 0']), 'bad-scenario'],
      [new XrbenchParseError('x.m', 3, 'expected {'), 'bad-scenario'],
      [new SimWorkloadError('no profile for tenant a'), 'bad-scenario'],
      [new LiveSetupError('tenant "a": no such file'), 'bad-scenario'],
      [new DemandError('factor must be > 0'), 'bad-request'],
      [new ModelResolveError('no library model "x"'), 'bad-model'],
      [new ShapeError('x', 'dimension 0 is dynamic'), 'bad-shape'],
      [new ProfileStoreError('no profile "p"', 'not-found'), 'not-found'],
      [new ProfileStoreError('schema 9', 'schema'), 'bad-profile'],
      [new RunStoreError('bad run id', 'bad-id'), 'bad-request'],
      [new RunStoreError('no report', 'missing-file'), 'not-found'],
      [new RunStoreError('unreadable', 'corrupt'), 'bad-run'],
      [new RunStoreError('too big', 'too-large'), 'too-large'],
      [Object.assign(new Error('aborted'), { name: 'AbortError' }), 'cancelled'],
      [new EngineError('exists', 'exists'), 'exists'],
      [new Error('boom'), 'failed'],
    ];
    for (const [e, code] of cases) {
      expect(errorCode(e), (e as Error).constructor.name).toBe(code);
      expect(isErrorCode(code)).toBe(true);
    }
  });

  it('carries the mapped code over the wire without a mapper in the feature', async () => {
    const { client, close } = localClient();
    try {
      await expect(client.call('profiles.get', { id: 'no-such-profile-contract-test' })).rejects.toMatchObject({ code: 'not-found' });
      await expect(client.call('scenarios.get', { id: 'no/such/scenario' })).rejects.toMatchObject({ code: expect.stringMatching(/^(bad-scenario|not-found)$/) });
    } finally {
      close();
    }
  });

  it('keys the renderer hints on the union', () => {
    expect(Object.keys(ERROR_CODES)).toContain('bad-scenario');
    expect(errorHint('invalid-scenario', { 'bad-scenario': 'fix it' })).toBe('');
    expect(errorHint('bad-scenario', { 'bad-scenario': 'fix it' })).toBe('fix it');
    expect(errorHint('engine-exited')).toMatch(/reconnect/);
    expect(errorHint('bad-request', { 'bad-request': 'mine' })).toBe('mine');
  });
});

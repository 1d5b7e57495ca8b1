// The one rule for reading caller-given paths (base/files.ts) and the API paths that use
// it: regular files only, under a cap, errors that name the path and never echo content, and the
// folder limit of an engine that serves other machines.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { localClient } from '../engine/local';
import { checkFile, FileAccessError, mayRead, parseJsonText, readCheckedFile, readCheckedText, restrictFileAccess } from '../base/files';

const dir = mkdtempSync(join(tmpdir(), 'tessera-files-'));
const fifo = join(dir, 'pipe');
execFileSync('mkfifo', [fifo]);
writeFileSync(join(dir, 'secret.json'), 'root:x:0:0:secret-first-line\n');
writeFileSync(join(dir, 'big.json'), Buffer.alloc(2048, 32));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => restrictFileAccess(undefined));

const opts = { what: 'profile', maxBytes: 1024 };
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof FileAccessError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return undefined;
};

describe('checked file reads', () => {
  it('refuses devices, FIFOs and folders before reading, naming the path', () => {
    expect(codeOf(() => readCheckedFile('/dev/zero', opts))).toBe('not-a-file: profile /dev/zero: a device, not a regular file');
    expect(codeOf(() => readCheckedFile(fifo, opts))).toBe(`not-a-file: profile ${fifo}: a FIFO (named pipe), not a regular file`);
    expect(codeOf(() => readCheckedFile(dir, opts))).toBe(`not-a-file: profile ${dir}: a directory, not a regular file`);
    expect(codeOf(() => readCheckedFile(join(dir, 'nope'), opts))).toMatch(/^not-found: profile .*nope: no such file$/);
  });

  it('refuses files over the cap and reads the others whole', () => {
    expect(codeOf(() => checkFile(join(dir, 'big.json'), opts))).toMatch(/^too-large: profile .*big\.json: 2048 bytes, over the 1024 bytes limit for a profile$/);
    expect(readCheckedText(join(dir, 'secret.json'), opts)).toContain('secret-first-line');
  });

  it('limits reads to the allowed folders, symlinks resolved', () => {
    const inside = join(dir, 'allowed');
    mkdirSync(inside);
    writeFileSync(join(inside, 'ok.json'), '{}');
    symlinkSync(join(dir, 'secret.json'), join(inside, 'link.json'));
    restrictFileAccess([inside]);
    expect(readCheckedText(join(inside, 'ok.json'), opts)).toBe('{}');
    expect(codeOf(() => readCheckedText(join(inside, 'link.json'), opts))).toMatch(/^not-allowed: .*link\.json: outside the folders this engine may read .*--allow-dir/);
    expect(codeOf(() => readCheckedText('/etc/hostname', opts))).toMatch(/^not-allowed/);
    // Outside the folders, a missing file gets the same answer as an existing one: no probing.
    expect(codeOf(() => readCheckedText('/etc/no-such-file-here', opts))).toMatch(/^not-allowed/);
    expect(mayRead(join(inside, 'ok.json'))).toBe(true);
    expect(mayRead(join(inside, 'link.json'))).toBe(false);
    expect(mayRead('/etc/hostname')).toBe(false);
  });

  it('an engine limited to some folders answers a path outside them as if it did not exist', async () => {
    restrictFileAccess([dir]);
    const { client, close } = localClient();
    try {
      const answers: string[] = [];
      for (const path of ['/etc/hostname', '/etc/no-such-file-here']) {
        const e = (await client.call('profile.run', { models: [path] }).catch((x: unknown) => x)) as { code: string; message: string };
        expect(e.code).toBe('bad-model');
        answers.push(e.message.replace(path, 'PATH'));
      }
      expect(answers[0]).toBe(answers[1]);
      expect(answers[0]).toMatch(/PATH: no such file \(this engine reads files only in .*\), and not a model library id/);
      const v = (await client.call('scenarios.validate', { path: '/etc/hostname' })) as { ok: boolean; errors: string[] };
      expect(v.errors[0]).toMatch(/file not found: \/etc\/hostname \(this engine reads files only in/);
    } finally {
      close();
    }
  });

  it('JSON errors say where, never what', () => {
    expect(() => parseJsonText('root:x:0:0:secret', '/etc/passwd')).toThrow(/^\/etc\/passwd: not valid JSON \(.*\)$/);
    expect(() => parseJsonText('root:x:0:0:secret', 'f')).not.toThrow(/root|secret/);
    expect(() => parseJsonText('{\n  "a": 1,\n  x', 'f')).toThrow('f: not valid JSON (at line 3, column 3)');
    expect(() => parseJsonText('  ', 'f')).toThrow('f: not valid JSON (empty)');
  });
});

describe('the API paths use it', () => {
  it('profiles.get, scenarios.get/validate/import, live.start and profile.run answer /dev/zero at once with a code, and never echo content', async () => {
    const { client, close } = localClient();
    try {
      const calls: [string, Promise<unknown>][] = [
        ['profiles.get', client.call('profiles.get', { id: '/dev/zero' })],
        ['scenarios.get', client.call('scenarios.get', { id: '/dev/zero' })],
        ['scenarios.import', client.call('scenarios.import', { path: fifo })],
        ['live.start', client.call('live.start', { scenario: '/dev/zero', policy: 'fcfs', durationSec: 1 })],
        ['live.start profiles', client.call('live.start', { scenario: 'demo:tiny', policy: 'fcfs', durationSec: 1, profiles: ['/dev/zero'] })],
        ['profile.run', client.call('profile.run', { models: ['/dev/zero'] })],
      ];
      for (const [name, p] of calls) {
        const e = (await p.then(() => undefined, (x: unknown) => x)) as { code: string; message: string } | undefined;
        expect(e, name).toBeDefined();
        expect(e!.code, name).not.toBe('failed');
        expect(e!.message, name).toMatch(/\/dev\/zero|pipe/);
        expect(e!.message, name).toMatch(/not a regular file/);
      }
      const v = (await client.call('scenarios.validate', { path: '/dev/zero' })) as { ok: boolean; errors: string[] };
      expect(v).toMatchObject({ ok: false, errors: [expect.stringMatching(/\/dev\/zero: a device, not a regular file/)] });
      const secret = join(dir, 'secret.json');
      const e = (await client.call('profiles.get', { id: secret }).catch((x: unknown) => x)) as { code: string; message: string };
      expect(e.code).toBe('bad-profile');
      expect(e.message).toContain(secret);
      expect(JSON.stringify(e)).not.toMatch(/root|secret-first-line/);
    } finally {
      close();
    }
  });

  it('live.start with a bad scenario document answers bad-scenario, not failed', async () => {
    const { client, close } = localClient();
    try {
      await expect(client.call('live.start', { scenario: { schemaVersion: 1, tenants: 'x' }, policy: 'fcfs', durationSec: 1 })).rejects.toMatchObject({ code: 'bad-scenario', message: expect.stringMatching(/tenants/) });
    } finally {
      close();
    }
  });
});

// Model intake by upload (profiler/uploads.ts, engine/features/models.ts): an .onnx file sent in
// chunks is checked like a path and stored under the data directory by content hash; oversize,
// non-ONNX, misnamed, out-of-order and overlong input is refused with a message naming the file;
// nothing half-received is left behind; the stored copy is readable by an engine limited to its data
// directory; and it works through the browser-mode server with its token.
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createEngine, localClient } from '../engine/local';
import { mayRead, restrictFileAccess } from '../base/files';
import { MAX_UPLOAD_BYTES, safeModelName, UPLOAD_IDLE_MS, Uploads, uploadsDir } from '../profiler/uploads';
import { startServer } from '../server/server';
import { tinyCnn } from './support/tiny-model';

let home: string;
const oldHome = process.env.TESSERA_HOME;
beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'tessera-upload-'));
  process.env.TESSERA_HOME = home;
});
afterAll(() => {
  process.env.TESSERA_HOME = oldHome;
  if (oldHome === undefined) delete process.env.TESSERA_HOME;
  rmSync(home, { recursive: true, force: true });
});

const leftovers = () => (existsSync(uploadsDir()) ? readdirSync(uploadsDir()).filter((f) => f.startsWith('.incoming')) : []);

type Client = ReturnType<typeof localClient>['client'];
async function upload(client: Client, name: string, bytes: Uint8Array, chunk = 700) {
  const { uploadId } = await client.call('models.uploadStart', { name, bytes: bytes.length });
  for (let off = 0; off < bytes.length; off += chunk) {
    await client.call('models.uploadChunk', { uploadId, offset: off, data: Buffer.from(bytes.subarray(off, off + chunk)).toString('base64') });
  }
  return client.call('models.uploadFinish', { uploadId });
}

describe('model upload', () => {
  it('stores a chunked .onnx upload by content hash, once per name, readable by a limited engine', async () => {
    const { client, close } = localClient();
    try {
      const model = tinyCnn();
      const r = await upload(client, 'My Tiny CNN.onnx', model);
      expect(r).toMatchObject({ name: 'My_Tiny_CNN.onnx', bytes: model.length, existed: false, opsets: { '': 13 } });
      expect(r.path).toBe(join(uploadsDir(), r.sha256, 'My_Tiny_CNN.onnx'));
      expect(r.inputs.map((i) => i.name)).toEqual(['x']);
      expect(existsSync(r.path)).toBe(true);
      const again = await upload(client, 'My Tiny CNN.onnx', model, 4096);
      expect(again).toMatchObject({ path: r.path, existed: true });
      expect(await client.call('models.list', {})).toEqual([expect.objectContaining({ path: r.path, sha256: r.sha256, bytes: model.length })]);
      // A served engine reads only its data directory (and --allow-dir): the upload lies inside it.
      restrictFileAccess([home]);
      try {
        expect(mayRead(r.path)).toBe(true);
      } finally {
        restrictFileAccess(undefined);
      }
      expect(leftovers()).toEqual([]);
    } finally {
      close();
    }
  });

  it('refuses a non-ONNX file, a wrong name and an oversize one, naming the file, leaving nothing behind', async () => {
    const { client, close } = localClient();
    try {
      const text = new TextEncoder().encode('{"not": "a model"}\n');
      await expect(upload(client, 'notes.onnx', text)).rejects.toMatchObject({ code: 'bad-model', message: expect.stringMatching(/^notes\.onnx: not a readable ONNX model \(it looks like a JSON file\).*Pick an ONNX model file/) });
      await expect(client.call('models.uploadStart', { name: 'photo.jpg', bytes: 10 })).rejects.toMatchObject({ code: 'bad-model', message: /photo\.jpg: not an \.onnx file/ });
      await expect(client.call('models.uploadStart', { name: 'huge.onnx', bytes: MAX_UPLOAD_BYTES + 1 })).rejects.toMatchObject({ code: 'too-large', message: /huge\.onnx: 512 MiB, over the 512 MiB upload limit; give its path instead/ });
      // More bytes than announced: refused and dropped.
      const { uploadId } = await client.call('models.uploadStart', { name: 'liar.onnx', bytes: 10 });
      await expect(client.call('models.uploadChunk', { uploadId, offset: 0, data: Buffer.alloc(20).toString('base64') })).rejects.toMatchObject({ code: 'too-large' });
      await expect(client.call('models.uploadFinish', { uploadId })).rejects.toMatchObject({ code: 'not-found' });
      // Out of order, and a chunk longer than the limit (refused by the schema before decoding).
      const u2 = (await client.call('models.uploadStart', { name: 'order.onnx', bytes: 100 })).uploadId;
      await expect(client.call('models.uploadChunk', { uploadId: u2, offset: 50, data: 'AAAA' })).rejects.toMatchObject({ code: 'bad-request', message: /offset 50, expected 0/ });
      await expect(client.call('models.uploadChunk', { uploadId: u2, offset: 0, data: 'A'.repeat(2 * 1024 * 1024) })).rejects.toMatchObject({ code: 'bad-request' });
      // Finished early: a truncated file is not stored.
      await client.call('models.uploadChunk', { uploadId: u2, offset: 0, data: 'AAAA' });
      await expect(client.call('models.uploadFinish', { uploadId: u2 })).rejects.toMatchObject({ code: 'bad-request', message: /3 of 100 bytes arrived/ });
      // A truncated model (the first half of a real one).
      const half = tinyCnn().subarray(0, 300);
      await expect(upload(client, 'half.onnx', half)).rejects.toMatchObject({ code: 'bad-model', message: /^half\.onnx: / });
      expect(leftovers()).toEqual([]);
    } finally {
      close();
    }
  });

  it('a real pretrained model (PP-OCRv4 detector, 4.5 MiB) in 1 MiB chunks: stored with the same sha256 as the file', async () => {
    const file = join(__dirname, '..', 'node_modules', '@gutenye', 'ocr-models', 'assets', 'ch_PP-OCRv4_det_infer.onnx');
    const bytes = readFileSync(file);
    const { client, close } = localClient();
    try {
      const r = await upload(client, 'ch_PP-OCRv4_det_infer.onnx', bytes, 1024 * 1024);
      expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(r.inputs.map((i) => i.name)).toEqual(['x']);
      expect(readFileSync(r.path).equals(bytes)).toBe(true);
    } finally {
      close();
    }
  });

  it('bounds open uploads and drops idle ones', () => {
    let t = 0;
    const u = new Uploads(() => t);
    const ids = [0, 1, 2, 3].map((i) => u.start(`m${i}.onnx`, 10).uploadId);
    expect(() => u.start('m4.onnx', 10)).toThrow(/4 uploads are in progress/);
    t += UPLOAD_IDLE_MS + 1;
    expect(u.start('m5.onnx', 10).uploadId).toBeTruthy();
    expect(u.size).toBe(1);
    expect(() => u.chunk(ids[0], 0, 'AAAA')).toThrow(/no upload .* in progress/);
    u.close();
    expect(leftovers()).toEqual([]);
  });

  it('safe names: base name only, .onnx required', () => {
    expect(safeModelName('../../etc/passwd.onnx')).toBe('passwd.onnx');
    expect(safeModelName('C:\\models\\net.ONNX')).toBe('net.onnx');
    expect(safeModelName('.hidden.onnx')).toBe('hidden.onnx');
    expect(safeModelName('résumé net.onnx')).toBe('résumé_net.onnx');
    expect(safeModelName('model.onnx.txt')).toBeUndefined();
  });

  it('models.add stores a path the same way and refuses a non-ONNX one', async () => {
    const { client, close } = localClient();
    try {
      const dir = mkdtempSync(join(tmpdir(), 'tessera-add-'));
      writeFileSync(join(dir, 'cnn.onnx'), tinyCnn({ channels: 4 }));
      writeFileSync(join(dir, 'readme.onnx'), 'hello');
      const r = await client.call('models.add', { path: join(dir, 'cnn.onnx') });
      expect(r.path).toBe(join(uploadsDir(), r.sha256, 'cnn.onnx'));
      await expect(client.call('models.add', { path: join(dir, 'readme.onnx') })).rejects.toMatchObject({ code: 'bad-model', message: /readme\.onnx: .*text file/ });
      rmSync(dir, { recursive: true, force: true });
    } finally {
      close();
    }
  });

  it('works through the browser-mode server, behind its token', async () => {
    const s = await startServer({ engine: createEngine(), port: 0, token: 'upload-token' });
    try {
      const ws = await new Promise<WebSocket>((resolve, reject) => {
        const w = new WebSocket(`ws://127.0.0.1:${s.port}/api?token=upload-token`);
        w.on('open', () => resolve(w));
        w.on('error', reject);
      });
      let id = 0;
      const call = (method: string, params: unknown) =>
        new Promise<any>((resolve) => {
          const my = ++id;
          const on = (d: WebSocket.RawData) => {
            const m = JSON.parse(String(d));
            if (m.id !== my || (m.type !== 'result' && m.type !== 'error')) return;
            ws.off('message', on);
            resolve(m);
          };
          ws.on('message', on);
          ws.send(JSON.stringify({ type: 'call', id: my, method, params }));
        });
      const model = tinyCnn({ channels: 6 });
      const start = await call('models.uploadStart', { name: 'served.onnx', bytes: model.length });
      const uploadId = start.result.uploadId;
      expect(start.result.chunkBytes).toBe(1024 * 1024);
      expect((await call('models.uploadChunk', { uploadId, offset: 0, data: Buffer.from(model).toString('base64') })).result).toEqual({ received: model.length });
      const done = await call('models.uploadFinish', { uploadId });
      expect(done.result).toMatchObject({ name: 'served.onnx', bytes: model.length });
      ws.close();
    } finally {
      await s.close();
    }
  });
});

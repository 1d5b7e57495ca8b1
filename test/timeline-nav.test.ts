// The timelines' navigation and range statistics (renderer/views/timeline-nav.ts): wheel zoom
// proportional to the delta, W/S/A/D, dragged ranges, busy shares and misses in a range, tenant search.
import { describe, expect, it } from 'vitest';
import type { TimelineData } from '../renderer/views/simulate-timeline';
import * as nav from '../renderer/views/timeline-nav';

describe('timeline navigation', () => {
  it('zooms by the wheel in proportion to its delta (a -600 flick narrows 200 ms to about 33 ms)', () => {
    const f = nav.wheelZoomFactor(-600);
    expect(0.2 * f).toBeCloseTo(0.033, 3);
    // Proportional in log space: twice the delta squares the factor.
    expect(nav.wheelZoomFactor(-200) ** 2).toBeCloseTo(nav.wheelZoomFactor(-400), 10);
    expect(nav.wheelZoomFactor(100)).toBeGreaterThan(1);
    expect(nav.wheelZoomFactor(0)).toBe(1);
    // Line mode (Firefox): 3 lines = 48 px.
    expect(nav.wheelZoomFactor(-3, 1)).toBeCloseTo(nav.wheelZoomFactor(-48), 10);
    // Bounded per event.
    expect(nav.wheelZoomFactor(-1e6)).toBe(0.05);
    expect(nav.wheelZoomFactor(1e6)).toBe(20);
  });

  it('W/S zoom around the pointer, A/D pan, Home shows the whole run, other keys do nothing', () => {
    const w = { start: 1, end: 2 };
    const zin = nav.keyNavigate('w', w, 10, { at: 1.5 })!;
    expect(zin.end - zin.start).toBeCloseTo(0.7);
    expect((zin.start + zin.end) / 2).toBeCloseTo(1.5);
    const atLeft = nav.keyNavigate('W', w, 10, { at: 1 })!;
    expect(atLeft.start).toBeCloseTo(1); // the time under the pointer stays put
    const zout = nav.keyNavigate('s', w, 10)!;
    expect(zout.end - zout.start).toBeCloseTo(1 / 0.7);
    expect(nav.keyNavigate('d', w, 10)).toEqual({ start: 1.15, end: 2.15 });
    const left = nav.keyNavigate('a', w, 10, { shift: true })!;
    expect(left.start).toBeCloseTo(0.7);
    // Kept inside the run.
    expect(nav.keyNavigate('a', { start: 0, end: 1 }, 10)).toEqual({ start: 0, end: 1 });
    expect(nav.keyNavigate('Home', w, 10)).toEqual({ start: 0, end: 10 });
    expect(nav.keyNavigate('x', w, 10)).toBeUndefined();
  });

  it('normalises a dragged range and follows a live run', () => {
    expect(nav.normaliseRange(3, 1, 10)).toEqual({ start: 1, end: 3 });
    expect(nav.normaliseRange(-1, 12, 10)).toEqual({ start: 0, end: 10 });
    expect(nav.normaliseRange(2, 2, 10)).toBeUndefined();
    expect(nav.followWindow(1, 3)).toEqual({ start: 0, end: 3 });
    expect(nav.followWindow(7, 3)).toEqual({ start: 4, end: 7 });
  });

  it('matches tenants by a case-insensitive substring; an empty query highlights nothing', () => {
    expect([...nav.matchTenants(['Hand_Tracking', 'eye_seg', 'KWS'], 'hand')]).toEqual([0]);
    expect([...nav.matchTenants(['Hand_Tracking', 'eye_seg', 'KWS'], 'S')]).toEqual([1, 2]);
    expect(nav.matchTenants(['a'], '  ').size).toBe(0);
  });
});

describe('range statistics', () => {
  // Two lanes, two tenants. Lane 0 busy 0-2 and 3-4 (a transfer 4-4.5 too); lane 1 busy 1-5 with two overlapping slices.
  const data: TimelineData = {
    lanes: ['cpu:1', 'cpu:2'],
    tenants: ['det', 'kws'],
    horizon: 10,
    truncated: false,
    slices: [
      [0, 0, 0, 0, 2, 0, 0],
      [1, 1, 0, 1, 3, 0, 1],
      [1, 1, 1, 2, 5, 0, 1],
      [0, 0, 1, 3, 4, 0, 2],
      [0, 0, 0, 4, 4.5, 1, 2],
    ],
    jobs: [
      [0, 0, 1, 2, false], // late
      [1, 0.5, 6, 5, false], // on time
      [0, 3, 4, 4.5, false], // late
      [1, 6, 7, null, true], // dropped
      [0, 9.5, 10.5, null, false], // unfinished
    ],
  };

  it('counts the frames released in the range and their outcomes, per tenant', () => {
    const s = nav.rangeStats(data, { start: 0, end: 10 });
    expect([s.frames, s.ontime, s.late, s.dropped, s.unfinished]).toEqual([5, 1, 2, 1, 1]);
    expect(s.missRate).toBeCloseTo(3 / 5);
    expect(s.perTenant).toEqual([{ released: 3, late: 2, dropped: 0 }, { released: 2, late: 0, dropped: 1 }]);
    const early = nav.rangeStats(data, { start: 0, end: 1 });
    expect([early.frames, early.late, early.ontime]).toEqual([2, 1, 1]);
    expect(Number.isNaN(nav.rangeStats(data, { start: 7, end: 9 }).missRate)).toBe(true);
  });

  it('gives each lane the union of its busy time over the range, transfers included', () => {
    const s = nav.rangeStats(data, { start: 0, end: 10 });
    expect(s.laneBusy[0]).toBeCloseTo(3.5 / 10);
    expect(s.laneBusy[1]).toBeCloseTo(4 / 10); // 1-5, not 2 + 3
    const mid = nav.rangeStats(data, { start: 1.5, end: 3.5 });
    expect(mid.laneBusy[0]).toBeCloseTo(1 / 2); // 1.5-2 and 3-3.5
    expect(mid.laneBusy[1]).toBeCloseTo(1);
    expect(mid.slices).toBe(4);
    expect(mid.beyondSlices).toBe(false);
  });

  it('says when the range reaches past the slices of a truncated timeline', () => {
    expect(nav.rangeStats({ ...data, truncated: true }, { start: 3, end: 6 }).beyondSlices).toBe(true);
  });
});

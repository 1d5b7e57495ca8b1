// A library model's note ("real pretrained model", "layer-shape replica: ...") is information about the
// model, not a warning: new profiles keep it in `notes`, and older ones have it moved there on load.
import { describe, expect, it } from 'vitest';
import { isModelNote, libraryModelNote, separateNotes } from '../profiler/notes';

describe('profile notes', () => {
  it('tells the library note apart from real warnings', () => {
    const note = libraryModelNote('npm/silero-vad-v5', 'real pretrained model');
    expect(note).toBe('model npm/silero-vad-v5 from the model library: real pretrained model');
    expect(isModelNote(note)).toBe(true);
    expect(isModelNote('cpu:1: ORT profiler run failed: model x from the model library: y')).toBe(false);
    expect(isModelNote('contention mode: lanes ran at the same time')).toBe(false);
  });

  it('moves notes stored among an older profile\'s warnings, keeping the warnings and their order', () => {
    const p: { warnings: string[]; notes?: string[] } = { warnings: ['a', libraryModelNote('xrbench/KD', 'layer-shape replica'), 'b'] };
    separateNotes(p);
    expect(p.warnings).toEqual(['a', 'b']);
    expect(p.notes).toEqual(['model xrbench/KD from the model library: layer-shape replica']);
    separateNotes(p);
    expect(p.notes).toHaveLength(1);
    const clean = { warnings: ['x'] };
    separateNotes(clean);
    expect(clean).toEqual({ warnings: ['x'] });
  });
});

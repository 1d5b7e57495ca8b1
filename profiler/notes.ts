// Facts about a profiled model (what a library model is: "real pretrained model", "layer-shape
// replica: ..."): information, never warnings. One place for the note's wording and for telling such a
// note apart in profiles written before notes had their own field (they were stored as warnings).

const LIBRARY_NOTE = / from the model library: /;

/** The note recorded for a model taken from the model library. */
export function libraryModelNote(given: string, label: string): string {
  return `model ${given} from the model library: ${label}`;
}

/** Whether a profile warning is in fact a model note (profiles written before `notes` existed). */
export function isModelNote(text: string): boolean {
  return /^model /.test(text) && LIBRARY_NOTE.test(text);
}

/** Moves model notes stored among the warnings of an older profile into `notes` (in place). */
export function separateNotes(p: { warnings: string[]; notes?: string[] }): void {
  if (!Array.isArray(p.warnings)) return;
  const moved = p.warnings.filter(isModelNote);
  if (moved.length === 0) return;
  p.warnings = p.warnings.filter((w) => !isModelNote(w));
  p.notes = [...new Set([...(p.notes ?? []), ...moved])];
}

// Saves text the engine returned (a trace, a profile export) as a file the browser downloads.
// Shared by every view that exports something (profiles, traces).

/** Offers `content` as a download named `filename` (through a Blob URL, revoked shortly after). */
export function downloadText(filename: string, content: string, mime: string): void {
  const url = URL.createObjectURL(new Blob([content], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function mimeFor(filename: string): string {
  return filename.endsWith('.json') ? 'application/json' : filename.endsWith('.csv') ? 'text/csv' : 'text/plain';
}

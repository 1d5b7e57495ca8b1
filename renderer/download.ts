// Saves text the engine returned (a trace, a profile export) as a file the browser downloads.
// Shared by every view that exports something (profiles, traces).

/** Offers `content` as a download named `filename` (through a Blob URL, revoked shortly after). */
export function downloadText(filename: string, content: string, mime: string): void {
  downloadParts(filename, [content], mime);
}

/** Decodes base64 chunks (as the engine hands binary files over) into bytes. */
export function fromBase64(data: string): Uint8Array<ArrayBuffer> {
  const bin = atob(data);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Offers text or binary parts, joined, as a download named `filename`. */
export function downloadParts(filename: string, parts: BlobPart[], mime: string): void {
  const url = URL.createObjectURL(new Blob(parts, { type: mime }));
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
  return filename.endsWith('.json') ? 'application/json' : filename.endsWith('.csv') ? 'text/csv' : /\.(tgz|tar\.gz)$/.test(filename) ? 'application/gzip' : filename.endsWith('.tar') ? 'application/x-tar' : 'text/plain';
}

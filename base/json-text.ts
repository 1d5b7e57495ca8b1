// JSON parsing for untrusted text whose errors never quote it (V8's messages quote the start of the
// text: reading /etc/passwd as a profile must not answer with its first line). No Node imports, so
// pure modules can use it.

/** JSON.parse; a syntax error says where the text is broken ("<where>: not valid JSON (at line 1, column 1)"). */
export function parseJsonText(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`${where}: not valid JSON (${jsonErrorLocation(text, e)})`);
  }
}

/** Where JSON.parse failed, without quoting the text: "at line L, column C", "empty" or "unexpected end". */
export function jsonErrorLocation(text: string, error: unknown): string {
  if (text.trim() === '') return 'empty';
  const pos = /position (\d+)/.exec(error instanceof Error ? error.message : '');
  if (!pos) return 'unexpected end of input or token';
  const index = Number(pos[1]);
  let line = 1;
  let last = -1;
  for (let i = 0; i < Math.min(index, text.length); i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return `at line ${line}, column ${index - last}`;
}

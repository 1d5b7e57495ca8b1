// The app's vocabulary, written once: each term's definition, shown as a tooltip (on hover and on
// keyboard focus) wherever the term labels a figure (table headers, field labels, headings, fact
// lists) in every view, and listed in full in the `?` overlay. Views need not do anything: the app
// annotates what they render (annotateTerms, run on every change under the content area).
import { UXCOST_DEFINITION } from '../scheduler/core/metrics';
import { h } from './dom';

export interface GlossaryEntry {
  term: string;
  /** Where the term appears in labels (first match in an element is annotated). */
  match: RegExp;
  definition: string;
}

export const GLOSSARY: GlossaryEntry[] = [
  { term: 'lane', match: /\blanes?\b/i, definition: 'A lane is one execution provider of ONNX Runtime on one device with its own threads (cpu:2 = the CPU with 2 threads, webgpu = a GPU). A lane runs one layer at a time; the scheduler places each layer on a lane.' },
  { term: 'ANTT', match: /\bANTT\b/, definition: 'Average normalised turnaround time: the mean, over finished frames, of their latency divided by the latency the model has alone on the machine. 1 means sharing cost nothing; lower is better.' },
  { term: 'STP', match: /\bSTP\b/, definition: 'System throughput (Dysta): frames finished per second across all tenants, from the first release to the last finish. Higher is better.' },
  { term: 'UXCost', match: /\bUXCost\b/, definition: `User-experience cost, lower is better. ${UXCOST_DEFINITION}; E_ref is a reference policy’s energy.` },
  { term: 'XRBench score', match: /\bXRBench(?: score)?\b/, definition: 'XRBench’s score: real-time score × energy score × quality of experience, each between 0 and 1, with XRBench’s constants. Higher is better.' },
  { term: 'CV', match: /\bCV\b/, definition: 'Coefficient of variation: standard deviation divided by the mean of a layer’s measured latencies. Under a few % means steady timings; a high CV means noise (other load, frequency changes).' },
  { term: '% of peak', match: /%\s?(?:of )?peak/i, definition: 'Share of the lane’s measured GEMM peak (GFLOP/s) that a layer achieves. Shown only where the layer’s latency is resolved (at least 4× its 95% uncertainty).' },
  { term: 'in-graph time', match: /\bin-graph\b/i, definition: 'ONNX Runtime’s own profiler time for the layer’s nodes while the whole model runs in one session: no per-call overhead, no cut between layers. Compare with the cut layer’s median.' },
  { term: 'SLO windows', match: /\bSLO(?:s| windows?| tenants)?\b/, definition: 'A service-level objective is a tenant’s target (e.g. 95% of frames within the deadline). SLO windows: the share of fixed-length time windows in which every tenant meets every SLO at once; SLO tenants: the share of tenants meeting every SLO over the whole run.' },
];

/** Elements whose own text labels a figure. */
const HOSTS = 'th, dt, label, h2, h3, legend, .glossary-host';

const idOf = (entry: GlossaryEntry) => `glossary-${GLOSSARY.indexOf(entry)}`;

/** The definitions once in the page (hidden), for screen readers to read as each term's description. */
function ensureDefinitions(): void {
  if (document.getElementById(idOf(GLOSSARY[0]))) return;
  document.body.append(h('div', { hidden: true }, ...GLOSSARY.map((e) => h('span', { id: idOf(e) }, e.definition))));
}

/** A term with its definition as a tooltip (focusable, so keyboard users can read it too). */
export function term(entry: GlossaryEntry, text = entry.term): HTMLSpanElement {
  ensureDefinitions();
  return h('span', { class: 'term', tabindex: 0, 'data-tip': entry.definition, 'aria-describedby': idOf(entry), 'data-term': entry.term }, text);
}

function annotateHost(el: Element): void {
  if (el.closest('.term, .overlay, canvas, svg') || el.querySelector('.term')) return;
  for (const node of [...el.childNodes]) {
    if (node.nodeType !== Node.TEXT_NODE || !node.textContent) continue;
    for (const entry of GLOSSARY) {
      const m = entry.match.exec(node.textContent);
      if (!m) continue;
      const text = node as Text;
      const rest = text.splitText(m.index);
      rest.splitText(m[0].length);
      rest.replaceWith(term(entry, m[0]));
      return;
    }
  }
}

/** Annotates glossary terms under `root` (idempotent). */
export function annotateTerms(root: Element): void {
  if (root.matches(HOSTS)) annotateHost(root);
  for (const el of root.querySelectorAll(HOSTS)) annotateHost(el);
}

/** Keeps `root` annotated as views render into it. */
export function watchTerms(root: Element): () => void {
  annotateTerms(root);
  let queued = false;
  const obs = new MutationObserver(() => {
    if (queued) return;
    queued = true;
    queueMicrotask(() => {
      queued = false;
      annotateTerms(root);
    });
  });
  obs.observe(root, { childList: true, subtree: true });
  return () => obs.disconnect();
}

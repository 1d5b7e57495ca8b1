// BERT-base encoder stack: hidden 768, 12 heads of 64, FFN 3072, post-LayerNorm, exact GELU.
import { DataType } from '../../profiler/onnx/builder';
import { Net, type Tensor, uniform, layerSeed } from './layers';

export const BERT = { hidden: 768, heads: 12, ffn: 3072, vocab: 30522, maxPositions: 512 };

export interface BertOptions {
  batch: number;
  seq: number;
  layers: number;
  input: 'embeddings' | 'tokens';
  layerNorm: 'fused' | 'decomposed';
}

function encoderLayer(net: Net, x: Tensor, o: BertOptions, l: number): Tensor {
  const { hidden, heads, ffn } = BERT;
  const d = hidden / heads;
  const p = `encoder.${l}`;
  const { batch: b, seq: s } = o;
  const q = net.linear(x, hidden, { bias: 'seeded', name: `${p}.attn.q` });
  const k = net.linear(x, hidden, { bias: 'seeded', name: `${p}.attn.k` });
  const v = net.linear(x, hidden, { bias: 'seeded', name: `${p}.attn.v` });
  const qh = net.transpose(net.reshape(q, [b, s, heads, d]), [0, 2, 1, 3]); // [B, H, S, d]
  const kt = net.transpose(net.reshape(k, [b, s, heads, d]), [0, 2, 3, 1]); // [B, H, d, S]
  const vh = net.transpose(net.reshape(v, [b, s, heads, d]), [0, 2, 1, 3]); // [B, H, S, d]
  const scores = net.mulScalar(net.matmul(qh, kt, `${p}.attn.scores`), 1 / Math.sqrt(d));
  const probs = net.softmax(scores, -1);
  const ctx = net.matmul(probs, vh, `${p}.attn.context`); // [B, H, S, d]
  const merged = net.reshape(net.transpose(ctx, [0, 2, 1, 3]), [b, s, hidden]);
  const attnOut = net.linear(merged, hidden, { bias: 'seeded', name: `${p}.attn.out` });
  const h1 = net.layerNorm(net.add(attnOut, x), o.layerNorm, `${p}.attn.ln`);
  const inter = net.gelu(net.linear(h1, ffn, { bias: 'seeded', prunableOut: true, name: `${p}.ffn.in` }));
  const ffnOut = net.linear(inter, hidden, { bias: 'seeded', name: `${p}.ffn.out` });
  return net.layerNorm(net.add(ffnOut, h1), o.layerNorm, `${p}.ffn.ln`);
}

export function bertBase(net: Net, o: BertOptions): Tensor {
  const { hidden, vocab, maxPositions } = BERT;
  let x: Tensor;
  if (o.input === 'embeddings') {
    x = net.input('embeddings', [o.batch, o.seq, hidden]);
  } else {
    if (o.seq > maxPositions) throw new Error(`bert-base: seq ${o.seq} exceeds ${maxPositions} positions`);
    const ids = net.input('input_ids', [o.batch, o.seq], { mean: 0, m2: 1 }, DataType.INT64);
    const seed = layerSeed(net.opts.seed, 1_000_000);
    const word = net.g.initializer('embeddings.word', [vocab, hidden], net.values(vocab * hidden, () => uniform(vocab * hidden, seed, -0.1, 0.1)));
    const pos = net.g.initializer('embeddings.position', [o.seq, hidden], uniform(o.seq * hidden, seed + 1, -0.1, 0.1));
    const type0 = net.g.initializer('embeddings.token_type0', [hidden], uniform(hidden, seed + 2, -0.1, 0.1));
    const gathered = net.g.op('Gather', [word, ids.name], { axis: 0 }, 'embeddings.gather');
    const summed = net.g.op('Add', [net.g.op('Add', [gathered, pos], {}, 'embeddings.add_pos'), type0], {}, 'embeddings.add_type');
    x = net.layerNorm({ name: summed, shape: [o.batch, o.seq, hidden], full: hidden, mean: 0, m2: 0.01, afterRelu: false }, o.layerNorm, 'embeddings.ln');
  }
  for (let l = 0; l < o.layers; l++) x = encoderLayer(net, x, o, l);
  return net.output(x, 'last_hidden_state');
}

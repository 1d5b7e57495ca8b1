// The convolutional reference architectures: ResNet-50 (v1.5), VGG-16, MobileNetV2 and an
// SSDLite-style detector on a MobileNetV2 backbone.
import { Net, type Tensor } from './layers';

const STEM = 'stem conv (3 input channels, left dense as is usual)';

// ---------------------------------------------------------------- ResNet-50 (torchvision v1.5)

function bottleneck(net: Net, x: Tensor, width: number, stride: number, downsample: boolean, name: string): Tensor {
  const out = width * 4;
  let y = net.conv(x, { out: width, k: 1, act: 'relu', prunableOut: true, name: `${name}.conv1` });
  y = net.conv(y, { out: width, k: 3, stride, act: 'relu', prunableOut: true, name: `${name}.conv2` });
  y = net.conv(y, { out, k: 1, act: 'none', name: `${name}.conv3` });
  const skip = downsample ? net.conv(x, { out, k: 1, stride, act: 'none', name: `${name}.downsample` }) : x;
  return net.activation(net.add(y, skip), 'relu');
}

export function resnet50(net: Net, batch: number, res: number, classes: number): Tensor {
  const x = net.input('input', [batch, 3, res, res]);
  let y = net.conv(x, { out: 64, k: 7, stride: 2, pad: 3, act: 'relu', denseReason: STEM, name: 'conv1' });
  y = net.maxPool(y, 3, 2, 1);
  const stages: [number, number][] = [[64, 3], [128, 4], [256, 6], [512, 3]];
  stages.forEach(([width, blocks], s) => {
    for (let b = 0; b < blocks; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      y = bottleneck(net, y, width, stride, b === 0, `layer${s + 1}.${b}`);
    }
  });
  y = net.flatten(net.globalAvgPool(y));
  return net.output(net.linear(y, classes, { normalise: true, name: 'fc' }), 'logits');
}

// ---------------------------------------------------------------- VGG-16 (configuration D)

export function vgg16(net: Net, batch: number, res: number, classes: number): Tensor {
  const x = net.input('input', [batch, 3, res, res]);
  const cfg: (number | 'M')[] = [64, 64, 'M', 128, 128, 'M', 256, 256, 256, 'M', 512, 512, 512, 'M', 512, 512, 512, 'M'];
  let y = x;
  let i = 0;
  for (const c of cfg) {
    if (c === 'M') { y = net.maxPool(y, 2, 2, 0); continue; }
    y = net.conv(y, { out: c, k: 3, act: 'relu', prunableOut: true, denseReason: i === 0 ? STEM : undefined, name: `features.conv${++i}` });
  }
  y = net.flatten(y);
  y = net.activation(net.linear(y, 4096, { normalise: true, bias: 'seeded', name: 'classifier.fc6' }), 'relu');
  y = net.activation(net.linear(y, 4096, { normalise: true, bias: 'seeded', name: 'classifier.fc7' }), 'relu');
  return net.output(net.linear(y, classes, { normalise: true, name: 'classifier.fc8' }), 'logits');
}

// ---------------------------------------------------------------- MobileNetV2

export function makeDivisible(v: number, divisor = 8): number {
  const n = Math.max(divisor, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  return n < 0.9 * v ? n + divisor : n;
}

/** (expansion t, channels c, repeats n, stride s), MobileNetV2 paper Table 2. */
const MBV2: [number, number, number, number][] = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1], [6, 160, 3, 2], [6, 320, 1, 1]];

interface Mbv2Features {
  /** Expansion output of the first 160-channel block (stride 16), where SSD attaches its first head. */
  c4: Tensor;
  /** The final 1x1 conv output (1280 x width, stride 32). */
  c5: Tensor;
}

function invertedResidual(net: Net, x: Tensor, t: number, out: number, stride: number, name: string, tap?: (expanded: Tensor) => void): Tensor {
  const hidden = Math.round(x.full * t);
  let y = x;
  if (t !== 1) {
    y = net.conv(y, { out: hidden, k: 1, act: 'relu6', prunableOut: true, name: `${name}.expand` });
    tap?.(y);
  }
  y = net.conv(y, { out: hidden, k: 3, stride, group: 'depthwise', act: 'relu6', name: `${name}.dw` });
  y = net.conv(y, { out, k: 1, act: 'none', name: `${name}.project` });
  return stride === 1 && x.full === out && !x.keep ? net.add(y, x) : y;
}

export function mobilenetv2Features(net: Net, x: Tensor, width: number): Mbv2Features {
  let y = net.conv(x, { out: makeDivisible(32 * width), k: 3, stride: 2, act: 'relu6', denseReason: STEM, name: 'features.0' });
  let c4: Tensor | undefined;
  let block = 1;
  for (const [t, c, n, s] of MBV2) {
    const out = makeDivisible(c * width);
    for (let i = 0; i < n; i++) {
      const tapHere = c === 160 && i === 0;
      y = invertedResidual(net, y, t, out, i === 0 ? s : 1, `features.${block++}`, tapHere ? (e) => (c4 = e) : undefined);
    }
  }
  const last = width > 1 ? makeDivisible(1280 * width) : 1280;
  y = net.conv(y, { out: last, k: 1, act: 'relu6', name: `features.${block}` });
  if (!c4) throw new Error('mobilenetv2: no stride-16 tap');
  return { c4, c5: y };
}

export function mobilenetv2(net: Net, batch: number, res: number, classes: number, width: number): Tensor {
  const x = net.input('input', [batch, 3, res, res]);
  const { c5 } = mobilenetv2Features(net, x, width);
  const y = net.flatten(net.globalAvgPool(c5));
  return net.output(net.linear(y, classes, { normalise: true, name: 'classifier' }), 'logits');
}

// ---------------------------------------------------------------- SSDLite on MobileNetV2

/**
 * SSD-style detector: MobileNetV2 backbone, six feature maps (stride 16 expansion, stride 32 final
 * conv, four extra stride-2 blocks), SSDLite heads (3x3 depthwise + 1x1) predicting, per anchor, 4 box
 * offsets and `classes` scores. 3 anchors at the first map, 6 elsewhere (1917 anchors at 300x300).
 * Outputs raw box offsets [B, A, 4] and class logits [B, A, classes]; no anchor decoding or NMS.
 */
export function ssdMobilenetv2(net: Net, batch: number, res: number, classes: number, width: number): { boxes: Tensor; scores: Tensor; anchors: number; maps: number[][] } {
  const x = net.input('input', [batch, 3, res, res]);
  const { c4, c5 } = mobilenetv2Features(net, x, width);
  const maps: Tensor[] = [c4, c5];
  let y = c5;
  const extras: [number, number][] = [[256, 512], [128, 256], [128, 256], [64, 128]];
  extras.forEach(([mid, out], i) => {
    let e = net.conv(y, { out: mid, k: 1, act: 'relu6', prunableOut: true, name: `extras.${i}.reduce` });
    e = net.conv(e, { out: mid, k: 3, stride: 2, group: 'depthwise', act: 'relu6', name: `extras.${i}.dw` });
    e = net.conv(e, { out, k: 1, act: 'relu6', name: `extras.${i}.expand` });
    maps.push(e);
    y = e;
  });
  const boxes: Tensor[] = [];
  const scores: Tensor[] = [];
  let anchors = 0;
  maps.forEach((m, i) => {
    const a = i === 0 ? 3 : 6;
    anchors += a * m.shape[2] * m.shape[3];
    const head = (kind: 'box' | 'cls', per: number): Tensor => {
      const d = net.conv(m, { out: 0, k: 3, group: 'depthwise', act: 'relu6', name: `heads.${i}.${kind}.dw` });
      const p = net.conv(d, { out: a * per, k: 1, bn: false, act: 'none', name: `heads.${i}.${kind}.pw` });
      return net.reshape(net.transpose(p, [0, 2, 3, 1]), [batch, -1, per]);
    };
    boxes.push(head('box', 4));
    scores.push(head('cls', classes));
  });
  return {
    boxes: net.output(net.concat(boxes, 1), 'boxes'),
    scores: net.output(net.concat(scores, 1), 'scores'),
    anchors,
    maps: maps.map((m) => m.shape.slice(1)),
  };
}

// Runs an ONNX model in onnxruntime (npm onnxruntime-node, CPU) for the export test:
//   node run_ort.js MODEL.onnx INPUTS.json OUT_DIR
// INPUTS.json maps each input name to {"shape": [...], "file": "raw little-endian float32"};
// every output is written to OUT_DIR as raw float32, listed with its shape in
// OUT_DIR/outputs.json.
const ort = require('onnxruntime-node');
const fs = require('fs');
const path = require('path');

async function main() {
  const [model, spec, outDir] = process.argv.slice(2);
  const inputs = JSON.parse(fs.readFileSync(spec, 'utf8'));
  const session = await ort.InferenceSession.create(model, { executionProviders: ['cpu'] });
  const feeds = {};
  for (const [name, v] of Object.entries(inputs)) {
    const buf = fs.readFileSync(v.file);
    const data = new Float32Array(buf.length / 4);
    for (let i = 0; i < data.length; i++) data[i] = buf.readFloatLE(4 * i);
    feeds[name] = new ort.Tensor('float32', data, v.shape);
  }
  const results = await session.run(feeds);
  const listed = {};
  let k = 0;
  for (const [name, t] of Object.entries(results)) {
    const file = path.join(outDir, `out${k++}.f32`);
    const buf = Buffer.alloc(4 * t.data.length);
    for (let i = 0; i < t.data.length; i++) buf.writeFloatLE(t.data[i], 4 * i);
    fs.writeFileSync(file, buf);
    listed[name] = { shape: t.dims, file };
  }
  fs.writeFileSync(path.join(outDir, 'outputs.json'), JSON.stringify(listed));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});

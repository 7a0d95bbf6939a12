// Times sharp on the given files, one after another in this process (start-up excluded), for
// one case of scripts/bench-vs-sharp.sh; prints the total milliseconds.
// Usage: node sharp-bench.mjs SHARP_DIR CASE FILE...
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";

const [sharpDir, kase, ...files] = process.argv.slice(2);
const sharp = createRequire(`${sharpDir}/`)("sharp");
sharp.concurrency(1);
sharp.cache(false);

const pipelines = {
  "wid=500": (b) => sharp(b).resize({ width: 500 }).jpeg({ quality: 80 }),
  "crop=1000,500,2000,1500&wid=500": (b) =>
    sharp(b).extract({ left: 1000, top: 500, width: 2000, height: 1500 }).resize({ width: 500 }).jpeg({ quality: 80 }),
  "wid=500&fmt=webp": (b) => sharp(b).resize({ width: 500 }).webp({ quality: 80 }),
  "rotate=90": (b) => sharp(b).rotate(90).jpeg({ quality: 80 }),
};
const pipeline = pipelines[kase];
if (!pipeline) {
  console.error(`unknown case ${kase}`);
  process.exit(2);
}
const buffers = files.map((f) => readFileSync(f));
await pipeline(buffers[0]).toBuffer(); // warm-up: the first call loads libvips' codecs
let total = 0;
for (const b of buffers) {
  const started = process.hrtime.bigint();
  await pipeline(b).toBuffer();
  total += Number(process.hrtime.bigint() - started) / 1e6;
}
console.log(total.toFixed(1));

// Runs a wasm32-wasip1 command under Node's built-in WASI (preview1), as the `wasm` test and
// README use it:
//
//   node --no-warnings tests/wasi.mjs MODULE.wasm [--dir HOST=GUEST]... -- ARGS...
//
// Each --dir preopens a host folder at a guest path (the module sees nothing else). Standard
// input, output and error are the process's own; the module's exit code becomes node's.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
if (argv.length < 1 || sep < 1) {
  console.error('usage: node tests/wasi.mjs MODULE.wasm [--dir HOST=GUEST]... -- ARGS...');
  process.exit(2);
}
const [module, ...opts] = argv.slice(0, sep);
const preopens = {};
for (let i = 0; i < opts.length; i += 2) {
  const eq = opts[i] === '--dir' && opts[i + 1] ? opts[i + 1].indexOf('=') : -1;
  if (eq < 1) {
    console.error(`wasi.mjs: expected --dir HOST=GUEST, found ${opts[i]}`);
    process.exit(2);
  }
  preopens[opts[i + 1].slice(eq + 1)] = opts[i + 1].slice(0, eq);
}
const wasi = new WASI({
  version: 'preview1',
  args: ['verify_folder', ...argv.slice(sep + 1)],
  env: {},
  preopens,
  returnOnExit: true,
});
const compiled = await WebAssembly.compile(await readFile(module));
const instance = await WebAssembly.instantiate(compiled, wasi.getImportObject());
process.exitCode = wasi.start(instance);

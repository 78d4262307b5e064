// The notice's buttons: 验证 / Verify runs the verifier (the dualdraw library built for
// wasm32-wasip1) on the published bytes in site/data.js, then compares the tables on this page
// with what the verified log implies; the lookup proves one enterprise against the head.
// Everything runs here: no request leaves the page.
'use strict';
(function () {
  const data = window.DUALDRAW_DATA;
  const $ = (id) => document.getElementById(id);
  const en = () => $('lang-en') && $('lang-en').checked;
  const say = (zh, english) => (en() ? english : zh);

  // The published files as bytes (text was embedded as a JSON string, the rest as base64).
  const enc = new TextEncoder();
  function decodeB64(s) {
    if (Uint8Array.fromBase64) return Uint8Array.fromBase64(s);
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  const files = {};
  for (const [path, f] of Object.entries(data.files)) {
    files[path] = 't' in f ? enc.encode(f.t) : decodeB64(f.b);
  }

  let modulePromise = null;
  function verifierModule() {
    if (!modulePromise) {
      modulePromise = (async () => {
        const v = window.DUALDRAW_VERIFIER;
        let bytes = decodeB64(v.base64);
        if (v.gzip) {
          const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
          bytes = new Uint8Array(await new Response(stream).arrayBuffer());
        }
        return WebAssembly.compile(bytes);
      })();
    }
    return modulePromise;
  }

  // Lets the browser paint the progress before the next (blocking) step: the next frame, or
  // 50 ms when no frame comes (a hidden tab).
  const paint = () => new Promise((resolve) => {
    let done = false;
    const go = () => { if (!done) { done = true; setTimeout(resolve, 0); } };
    requestAnimationFrame(go);
    setTimeout(go, 50);
  });

  function show(box, ok, headline, detail) {
    box.className = ok ? 'ok' : 'bad';
    box.textContent = '';
    const p = document.createElement('p');
    p.className = 'headline';
    p.textContent = headline;
    box.appendChild(p);
    if (detail) {
      const pre = document.createElement('pre');
      pre.textContent = detail;
      box.appendChild(pre);
    }
  }

  // Splits the verifier's output: the report, then one `=== same NAME` or `=== differs NAME`
  // line per file the verified log implies.
  function parseVerified(out) {
    const text = new TextDecoder().decode(out);
    const first = text.indexOf('\n=== ') + 1;
    const report = first > 0 ? text.slice(0, first) : text;
    const files = {};
    for (const line of (first > 0 ? text.slice(first) : '').split('\n')) {
      const m = /^=== (same|differs) (\S+)$/.exec(line);
      if (m) files[m[2]] = m[1] === 'same';
    }
    return { report, files };
  }

  // The tables on this page against the verified results: every row, every cell.
  function checkTables(targets, teams) {
    const problems = [];
    const seen = new Set();
    for (const table of document.querySelectorAll('table.results')) {
      const task = table.dataset.task;
      const want = targets.filter((t) => t.task === task);
      const rows = [...table.tBodies[0].rows];
      if (rows.length !== want.length) {
        problems.push(`${task}: ${rows.length} rows on the page, ${want.length} in the verified log`);
      }
      rows.forEach((row, i) => {
        const w = want[i];
        const cell = (k) => row.querySelector(`[data-k="${k}"]`);
        const text = (k) => (cell(k) ? cell(k).textContent.trim() : '');
        if (!w) return;
        for (const k of ['rank', 'id', 'name', 'region', 'credit_class']) {
          const expected = w[k] === null || w[k] === undefined ? '' : String(w[k]);
          if (text(k) !== expected) {
            problems.push(`${task} row ${i + 1} (${w.id}): ${k} is “${text(k)}” on the page but “${expected}” in the verified log`);
          }
        }
        const team = teams.find((t) => t.task === task && t.enterprise === w.id);
        const shown = [...(cell('team') ? cell('team').querySelectorAll('.m') : [])].map((m) => `${m.dataset.id}/${m.dataset.cert}`);
        const expected = team ? team.members.map((m) => `${m.id}/${m.cert_no}`) : [];
        if (shown.join(' ') !== expected.join(' ')) {
          problems.push(`${task} row ${i + 1} (${w.id}): team ${shown.join(', ')} on the page but ${expected.join(', ')} in the verified log`);
        }
        seen.add(`${task} ${w.id}`);
      });
    }
    for (const t of targets) {
      if (!seen.has(`${t.task} ${t.id}`) && !document.querySelector(`table.results[data-task="${t.task}"]`)) {
        problems.push(`${t.task}: no table on the page`);
      }
    }
    return problems;
  }

  // Where the time of the last verification went, in whole milliseconds, for the figures
  // (tests/browser.rs): body[data-verify-ms] click to result; data-module-ms waiting for the
  // compiled module; data-paint-ms showing the progress; data-run-ms the verifier;
  // data-check-ms this page's own comparison; data-clicks how many verifications ran.
  function record(marks) {
    for (const [k, v] of Object.entries(marks)) document.body.dataset[k] = String(Math.round(v));
    document.body.dataset.clicks = String(Number(document.body.dataset.clicks || 0) + 1);
  }

  // Set by a click: the warm-up then leaves the module to it.
  let clicked = false;

  async function verify(event) {
    clicked = true;
    const box = $('verify-result');
    const bar = $('verify-progress');
    const step = (n, zh, english) => {
      bar.hidden = false;
      bar.value = n;
      $('verify-step').textContent = say(zh, english);
    };
    $('verify-button').disabled = true;
    box.className = '';
    box.textContent = '';
    // From the click itself (its time stamp), so that a click that waited for the page to be
    // free counts its wait.
    const now = performance.now();
    const t0 = event && event.timeStamp > 0 && event.timeStamp <= now ? event.timeStamp : now;
    const marks = {};
    // Whether the warm-up run (below) had finished before this click, for the figures.
    document.body.dataset.warmAtClick = document.body.dataset.warm === 'done' ? 'yes' : 'no';
    try {
      step(1, '正在载入验证程序…', 'Loading the verifier…');
      const module = await verifierModule();
      marks.moduleMs = performance.now() - t0;
      step(2, '正在核验日志并重新抽取…', 'Checking the log and re-running the draw…');
      // Progress that would be on the screen for under a tenth of a second is not worth the
      // frame it costs to show it.
      if (warmRunMs > 100) await paint();
      const t1 = performance.now();
      marks.paintMs = t1 - t0 - marks.moduleMs;
      const r = DualdrawWasi.run(module, [data.directories ? 'verify' : 'chain', data.plan, data.log], files);
      const t2 = performance.now();
      marks.runMs = t2 - t1;
      document.body.dataset.wasmMemory = String(r.memory);
      const out = new TextDecoder().decode(r.stdout);
      if (r.code !== 0) {
        show(box, false, say('未通过验证', 'NOT verified'), r.stderr.replace(/^error: /, ''));
        return;
      }
      if (!data.directories) {
        step(4, '完成', 'Done');
        show(box, true, say('已核验（部分）：名录未公开', 'Checked in part: the directories are not public'), out);
        return;
      }
      // No pause to paint here: what is left takes a few milliseconds.
      step(3, '正在核对公开文件与本页表格…', 'Comparing the published files and this page…');
      const { report, files: same } = parseVerified(r.stdout);
      const problems = [];
      for (const [name, ok] of Object.entries(same)) {
        if (!ok) problems.push(`${name}: the published file differs from what the verified log implies`);
      }
      // The verifier found these published copies identical to what the log implies, so the
      // tables are checked against them.
      const tables = ['results/targets.json', 'results/teams.json'];
      if (tables.every((n) => same[n])) {
        const dec = new TextDecoder();
        const [targets, teams] = tables.map((n) => JSON.parse(dec.decode(files['/pub/' + n])));
        problems.push(...checkTables(targets, teams));
      } else if (!problems.length) {
        problems.push('the verifier did not report the result tables');
      }
      const head = $('head') ? $('head').textContent.trim() : '';
      if (!report.includes(`\nhead ${head}\n`)) problems.push(`the head shown on this page (${head}) is not the verified head`);
      marks.checkMs = performance.now() - t2;
      step(4, '完成', 'Done');
      const ms = Math.round(performance.now() - t0);
      marks.verifyMs = ms;
      if (problems.length) {
        show(box, false, say('未通过验证：本页内容与已验证的日志不符', 'NOT verified: this page differs from the verified log'), problems.join('\n') + '\n\n' + report);
      } else {
        show(box, true, say(`已验证（${ms} 毫秒）`, `Verified (${ms} ms)`), report);
      }
    } catch (e) {
      show(box, false, say('验证程序无法运行', 'The verifier could not run'), String(e && e.stack || e));
    } finally {
      step(4, '完成', 'Done');
      $('verify-button').disabled = false;
      if (marks.verifyMs === undefined) marks.verifyMs = performance.now() - t0;
      record(marks);
      document.body.dataset.verified = box.className;
    }
  }

  function lookupResult(r) {
    const box = $('lookup-result');
    if (r.code !== 0) {
      show(box, false, say('核验失败', 'Check failed'), r.stderr.replace(/^error: /, ''));
      return;
    }
    const text = new TextDecoder().decode(r.stdout);
    const verdicts = text.split('\n').filter((l) => l.startsWith('@ ')).map((l) => l.slice(2).split(' '));
    const lines = verdicts.map(([task, verdict, ticket, cutoff]) => {
      const v = {
        drawn: say('抽中', 'DRAWN'),
        'not-drawn': say('未抽中', 'not drawn'),
        'not-eligible': say('不在名录范围内', 'not in the pool'),
      }[verdict];
      return verdict === 'not-eligible' ? `${task}: ${v}` : `${task}: ${v} — ticket ${ticket} ${verdict === 'drawn' ? '≤' : '>'} cutoff ${cutoff}`;
    });
    const drawn = verdicts.some((v) => v[1] === 'drawn');
    show(box, true, (drawn ? say('抽中', 'Drawn') : say('未抽中', 'Not drawn')) + '\n' + lines.join('\n'), text.split('\n').filter((l) => !l.startsWith('@ ')).join('\n'));
    box.dataset.drawn = String(drawn);
  }

  async function lookup() {
    const box = $('lookup-result');
    box.className = '';
    box.textContent = say('正在核验…', 'Checking…');
    await paint();
    try {
      const module = await verifierModule();
      if (data.directories) {
        const code = $('lookup-code').value.trim().toUpperCase();
        lookupResult(DualdrawWasi.run(module, ['lookup', data.plan, data.log, code], files));
      } else {
        const f = $('lookup-file').files[0];
        if (!f) { box.textContent = say('请选择证明文件', 'Choose a proof file'); return; }
        const withProof = Object.assign({}, files, { '/proof.json': new Uint8Array(await f.arrayBuffer()) });
        lookupResult(DualdrawWasi.run(module, ['check-proof', '/proof.json', '/pub/draw.head'], withProof));
      }
    } catch (e) {
      show(box, false, say('验证程序无法运行', 'The verifier could not run'), String(e && e.stack || e));
    }
  }

  // While the notice is read, compile the verifier and run it once on these files, so that the
  // browser has its optimised code ready for the click (V8 compiles each function on its first
  // call, and optimises it once it runs hot). Only for a folder small enough that this costs
  // well under a second.
  // The warm-up's last run, in ms: a verification that fast shows no progress worth a frame.
  let warmRunMs = Infinity;
  async function warmUp() {
    try {
      const module = await verifierModule();
      const size = Object.values(files).reduce((n, f) => n + f.length, 0);
      // Twice, in separate tasks so that the page stays responsive: V8 optimises the hot
      // functions during the first run, the second runs (and times) that code.
      for (let i = 0; i < 2 && size < 4 << 20; i++) {
        if (i) await new Promise((r) => setTimeout(r, 0));
        if (clicked) break;
        const t = performance.now();
        DualdrawWasi.run(module, [data.directories ? 'verify' : 'chain', data.plan, data.log], files);
        warmRunMs = performance.now() - t;
      }
    } catch (e) {
      // The click reports any failure.
    }
    document.body.dataset.warm = 'done';
    // How long after the page began to load it was ready to verify at full speed.
    document.body.dataset.readyMs = String(Math.round(performance.now()));
  }

  if (window.DUALDRAW_VERIFIER) {
    // Decoding and compiling start now; the warm-up run waits for the page to be shown.
    verifierModule().catch(() => {});
    setTimeout(warmUp, 0);
    $('verify-button').addEventListener('click', verify);
    $('lookup-button').addEventListener('click', lookup);
    const code = $('lookup-code');
    if (code) code.addEventListener('keydown', (e) => { if (e.key === 'Enter') lookup(); });
  }
  document.documentElement.classList.add('js');
})();

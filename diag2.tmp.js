const U = require('/work/main/dist/src/umm'); const T = require('/work/main/dist/src/tasks'); const E = require('/work/main/dist/src/eval');
(async () => {
  const m = U.loadModel(process.argv[2]);
  const v = m.vocab;
  const ps = T.countingGenEval();
  const sp = T.spatialGenEval();
  for (const [tau, cfg] of [[1000, 0], [1000, 2], [1000, 5], [30, 2], [30, 5]]) {
    const { codes } = await U.generateImages(m, ps.map((p, i) => ({ prompt: v.textIds(p.prompt), tokens: 64, seed: i })), { cfg, temperature: tau });
    let ok = 0, mad = 0, objs = 0, cls = 0;
    codes.forEach((c, i) => { const d = E.detect(v.image.decode(c, 8, 8)); const r = E.countingVerdict(d, ps[i].truth.target, ps[i].truth.count); ok += r.correct; mad += r.absError; objs += d.length; cls += r.detected; });
    const s = await U.generateImages(m, sp.map((p, i) => ({ prompt: v.textIds(p.prompt), tokens: 64, seed: i })), { cfg, temperature: tau });
    let sok = 0, sex = 0; s.codes.forEach((c, i) => { const r = E.spatialVerdict(E.detect(v.image.decode(c, 8, 8)), sp[i].truth.a, sp[i].truth.b, sp[i].truth.relation); sok += r.correct; sex += r.excluded; });
    console.log('tau', tau, 'cfg', cfg, 'count acc', (ok / ps.length).toFixed(3), 'mad', (mad / ps.length).toFixed(2), 'objects/img', (objs / ps.length).toFixed(2), 'target-class/img', (cls/ps.length).toFixed(2), '| spatial acc', (sok / Math.max(1, sp.length - sex)).toFixed(3), 'excluded', sex);
  }
})();

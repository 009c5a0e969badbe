#!/usr/bin/env node
// Sums the self time of a V8 CPU profile (`node --cpu-prof`) by function and by file, to
// find where a server spends its CPU under load (issue 10: costs found by a profiler).
//
//   node scripts/cpu-profile-summary.mjs PROFILE.cpuprofile [TOP=25]
//
// Self time of a sample is the time delta that follows it; "(idle)" is left out of the
// shares, so they read as a fraction of the CPU the process used.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** Where a frame's code lives: a package name, a path inside the project, or V8's own label. */
function fileOf(url, root) {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? new URL(url).pathname : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + '/node_modules/'.length).split('/');
    return `npm:${parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  return path.startsWith(root) ? path.slice(root.length) : path;
}

export function summarize(profile, root = process.cwd() + '/') {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + delta);
  }
  const byFunction = new Map();
  const byFile = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const { callFrame: f } = byId.get(id);
    if (f.functionName === '(idle)') continue;
    total += us;
    const file = fileOf(f.url, root);
    const fn = `${f.functionName || '(anonymous)'} ${file}${f.url ? `:${f.lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return { totalUs: total, byFunction: sorted(byFunction), byFile: sorted(byFile) };
}

export function printSummary({ totalUs, byFunction, byFile }, top = 25, requests = undefined) {
  const row = ([name, us]) =>
    `${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${(requests ? us / requests : us / 1000).toFixed(1).padStart(8)}  ${name}`;
  const unit = requests ? 'µs/req' : 'ms';
  console.log(`CPU (not idle): ${(totalUs / 1000).toFixed(0)} ms${requests ? `, ${(totalUs / requests).toFixed(1)} µs per request` : ''}`);
  console.log(`\nSelf time by file    share  ${unit}`);
  byFile.slice(0, top).forEach((r) => console.log(row(r)));
  console.log(`\nSelf time by function    share  ${unit}`);
  byFunction.slice(0, top).forEach((r) => console.log(row(r)));
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, top = '25'] = process.argv.slice(2);
  if (!file) throw new Error('usage: cpu-profile-summary.mjs PROFILE.cpuprofile [TOP]');
  printSummary(summarize(JSON.parse(readFileSync(file, 'utf8'))), Number(top));
}

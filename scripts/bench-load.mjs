#!/usr/bin/env node
// The load generator of `npm run bench`, in a process of its own so that its CPU is counted
// apart from the server's and it never competes with the bench's own bookkeeping.
//
// autocannon replays pre-signed requests (a SigV4 signature stays valid for 5 minutes) over
// keep-alive connections: the client spends its CPU on sending, not on signing or JSON.
// Latencies are kept per response (autocannon's own histogram rounds to whole milliseconds).
//
//   node scripts/bench-load.mjs < job.json
//   job: {url, connections, seconds, requests: [{method, path, headers, body}]}
// prints one JSON line: {count, rps, p50, p99, p999, errors, firstError, clientCpuMs, seconds}
import autocannon from 'autocannon';

let text = '';
for await (const chunk of process.stdin) text += chunk;
const job = JSON.parse(text);

const latencies = [];
let errors = 0;
let firstError;
const cpu0 = process.cpuUsage();
const result = await autocannon({
  url: job.url,
  connections: job.connections,
  duration: job.seconds,
  requests: job.requests,
  setupClient(client) {
    let lastBody;
    client.on('body', (body) => (lastBody = body));
    client.on('response', (status, _bytes, duration) => {
      latencies.push(duration);
      if (status === 200) return;
      errors++;
      firstError ??= `${status} ${lastBody?.toString('utf8').slice(0, 200) ?? ''}`;
    });
  },
});
const cpu = process.cpuUsage(cpu0);

latencies.sort((a, b) => a - b);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
const connectionErrors = result.errors + result.timeouts;
process.stdout.write(
  `${JSON.stringify({
    count: latencies.length,
    rps: latencies.length / result.duration,
    p50: pct(50),
    p99: pct(99),
    p999: pct(99.9),
    errors: errors + connectionErrors,
    firstError: firstError ?? (connectionErrors > 0 ? `${connectionErrors} connection errors or timeouts` : undefined),
    clientCpuMs: (cpu.user + cpu.system) / 1000,
    seconds: result.duration,
  })}\n`,
);

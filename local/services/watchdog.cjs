// Started by the local runtime next to the servers it starts (PostgreSQL,
// kinesis-local): stops them when the runtime dies without stopping them
// itself (SIGKILL, the OOM killer, a closed terminal). It learns of that death
// from its stdin, a pipe from the runtime that the kernel closes when the
// runtime's process ends. A runtime that stops normally writes "disarm" first.
//
//   node watchdog.cjs '[{"pid":123,"name":"PostgreSQL","signal":"SIGINT","graceMs":15000}]'
const targets = JSON.parse(process.argv[2] ?? '[]');
let armed = true;
let done = false;

// The runtime's process group may be signalled as a whole; the watchdog
// outlives that and acts when the runtime is gone.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});

const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function stopTarget({ pid, signal, graceMs }) {
  if (!alive(pid)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await wait(100);
  if (alive(pid)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  }
}

async function runtimeGone() {
  if (done) return;
  done = true;
  if (armed) await Promise.all(targets.map(stopTarget));
  process.exit(0);
}

process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  if (chunk.includes('disarm')) armed = false;
});
process.stdin.on('end', runtimeGone);
process.stdin.on('error', runtimeGone);
process.stdin.resume();

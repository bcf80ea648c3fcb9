import { createSystem, behavior, type Ref } from '#runtime';
type Msg = { type: 'ping'; n: number; replyTo: Ref<Msg> } | { type: 'pong'; n: number; replyTo: Ref<Msg> } | {type:'start', peer: Ref<Msg>};
async function run(mode: 'realtime'|'deterministic', N: number) {
  const sys = createSystem({ mode });
  let done = -1;
  const ponger = sys.spawn<Msg>(behavior((self, m) => { if (m.type === 'ping') self.send(m.replyTo, { type: 'pong', n: m.n, replyTo: self.ref }); }));
  const pinger = sys.spawn<Msg>(behavior((self, m) => {
    if (m.type === 'start') self.send(m.peer, { type: 'ping', n: 1, replyTo: self.ref });
    else if (m.type === 'pong') { if (m.n >= N) done = m.n; else self.send(m.replyTo, { type: 'ping', n: m.n + 1, replyTo: self.ref }); }
  }));
  await sys.runUntilIdle();
  const t0 = performance.now();
  sys.send(pinger, { type: 'start', peer: ponger });
  await sys.runUntilIdle({ maxSteps: 1e12 });
  const dt = performance.now() - t0;
  console.log(mode, N, done, (N / dt * 1000 / 1e6).toFixed(3), 'M rt/s', dt.toFixed(0), 'ms', sys.trace?.length);
}
for (const n of [100000, 200000, 400000]) { await run('realtime', n); await run('deterministic', n); }

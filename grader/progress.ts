// Progress for a bulk run: a bar redrawn in place on a terminal, plain lines otherwise
// (CI logs, pipes), so that a long class run always shows it is alive, how long it has taken,
// about how long it will still take, and whom it is testing right now.
export interface Progress {
  start(total: number, label: string): void;
  /** One more item done; `what` says which (and how it went). */
  tick(what: string): void;
  /** The students being tested right now (shown on a terminal's bar). */
  working?(students: readonly string[]): void;
  /** A line of its own, printed between bars. */
  note?(line: string): void;
  done(): void;
}

export interface ProgressOptions {
  /** Print nothing. */
  readonly quiet?: boolean;
  /** The clock (tests give their own). */
  readonly now?: () => number;
  /** Redraw the bar this often on a terminal, so the elapsed time moves (default 1 s; 0: never). */
  readonly redrawMs?: number;
}

/** "42 s", "3:05", "1:02:03". */
export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** "alice, bob and 3 more". */
function names(list: readonly string[], shown = 3): string {
  if (list.length <= shown) return list.join(', ');
  return `${list.slice(0, shown).join(', ')} and ${list.length - shown} more`;
}

export function progress(stream: NodeJS.WriteStream = process.stderr, quietOrOptions: boolean | ProgressOptions = false): Progress {
  const options: ProgressOptions = typeof quietOrOptions === 'boolean' ? { quiet: quietOrOptions } : quietOrOptions;
  const quiet = options.quiet === true;
  const now = options.now ?? Date.now;
  const tty = stream.isTTY === true;
  let total = 0;
  let count = 0;
  let label = '';
  let started = 0;
  let last = '';
  let testing: readonly string[] = [];
  let timer: ReturnType<typeof setInterval> | undefined;
  let active = false;

  const timing = (): string => {
    const elapsed = now() - started;
    const parts = [`${clock(elapsed)} elapsed`];
    if (count > 0 && count < total) parts.push(`about ${clock((elapsed / count) * (total - count))} left`);
    return parts.join(', ');
  };
  const line = (): string => {
    const width = 24;
    const filled = total === 0 ? width : Math.round((count / total) * width);
    const now = testing.length > 0 ? ` · testing ${names(testing)}` : last ? ` · ${last}` : '';
    return `${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${count}/${total} · ${timing()}${now}`;
  };
  const draw = (): void => {
    if (quiet || !tty || !active) return;
    const text = line();
    // Cut to the terminal's width only when it is known: a full line is never shortened.
    const columns = stream.columns;
    const shown = columns !== undefined && columns > 1 && text.length > columns - 1 ? `${text.slice(0, columns - 2)}…` : text;
    stream.write(`\r\x1b[K${shown}`);
  };
  const stopTimer = (): void => {
    if (timer !== undefined) clearInterval(timer);
    timer = undefined;
  };

  return {
    start(t, l) {
      total = t;
      count = 0;
      label = l;
      started = now();
      last = '';
      testing = [];
      stopTimer();
      active = true;
      if (quiet) return;
      if (tty) {
        draw();
        if ((options.redrawMs ?? 1000) > 0) {
          timer = setInterval(draw, options.redrawMs ?? 1000);
          timer.unref();
        }
      } else {
        stream.write(`${label}: ${total} to go\n`);
      }
    },
    tick(what) {
      count++;
      last = what;
      if (quiet) return;
      if (tty) draw();
      else stream.write(`${label} ${count}/${total} ${what} (${timing()})\n`);
    },
    working(students) {
      testing = [...students];
      draw();
    },
    note(text) {
      if (quiet) return;
      stream.write(tty ? `\r\x1b[K${text}\n` : `${text}\n`);
      draw();
    },
    done() {
      stopTimer();
      if (!quiet && tty) {
        testing = [];
        last = '';
        draw();
        stream.write('\n');
      }
      active = false;
    },
  };
}

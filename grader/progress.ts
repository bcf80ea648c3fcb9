// Progress for a bulk run: a bar redrawn in place on a terminal, plain lines otherwise
// (CI logs, pipes), so that a long class run always shows it is alive.
export interface Progress {
  start(total: number, label: string): void;
  tick(what: string): void;
  done(): void;
}

export function progress(stream: NodeJS.WriteStream = process.stderr, quiet = false): Progress {
  let total = 0;
  let count = 0;
  let label = '';
  const tty = stream.isTTY === true;
  const draw = (what: string) => {
    if (quiet) return;
    if (tty) {
      const width = 28;
      const filled = total === 0 ? width : Math.round((count / total) * width);
      const line = `${label} [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${count}/${total} ${what}`;
      stream.write(`\r\x1b[K${line.slice(0, (stream.columns ?? 100) - 1)}`);
    } else {
      stream.write(`${label} ${count}/${total} ${what}\n`);
    }
  };
  return {
    start(t, l) {
      total = t;
      count = 0;
      label = l;
      draw('');
    },
    tick(what) {
      count++;
      draw(what);
    },
    done() {
      if (!quiet && tty) stream.write('\n');
    },
  };
}

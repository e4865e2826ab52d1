// A terminal prompt that does not echo what is typed (passwords): the
// terminal is put in raw mode and the line is read key by key.

/** Reads one line from the terminal without showing it; Ctrl-C aborts (exit 130). */
export function readHiddenLine(prompt: string): Promise<string> {
  const input = process.stdin;
  // Raw mode (no echo) before the prompt shows: what is typed as soon as it appears is never echoed.
  input.setRawMode(true);
  process.stdout.write(prompt);
  return new Promise((resolve) => {
    let line = '';
    input.resume();
    input.setEncoding('utf8');
    const done = () => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stdout.write('\n');
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          done();
          return resolve(line);
        }
        if (ch === '\u0003') {
          done();
          process.exit(130);
        }
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else if (ch >= ' ') line += ch;
      }
    };
    input.on('data', onData);
  });
}

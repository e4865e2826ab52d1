// A real SMTP server for tests (smtp-server, from nodemailer's authors): it
// accepts every message on loopback and parses it (mailparser), so tests
// assert on what a mailbox would receive. It can stop and start again on
// the same port (an SMTP outage).
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface TestMailbox {
  port: number;
  url: string;
  messages: ParsedMail[];
  /** Resolves with the messages once `predicate` holds on them (fails after `ms`). */
  waitFor(predicate: (messages: ParsedMail[]) => boolean, ms?: number): Promise<ParsedMail[]>;
  /** Messages sent to this address. */
  to(address: string): ParsedMail[];
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

export async function startMailbox(opts: { port?: number; listening?: boolean } = {}): Promise<TestMailbox> {
  const messages: ParsedMail[] = [];
  const waiters = new Set<() => void>();
  const make = () => new SMTPServer({
    secure: false, authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onData(stream, _session, callback) {
      simpleParser(stream).then((mail) => {
        messages.push(mail);
        for (const w of waiters) w();
        callback();
      }, callback);
    },
  });
  let server: SMTPServer | null = null;
  let port = opts.port ?? 0;
  const start = async () => {
    server = make();
    await new Promise<void>((resolve, reject) => {
      server!.once('error', reject);
      server!.listen(port, '127.0.0.1', () => resolve());
    });
    port = ((server as unknown as { server: { address(): AddressInfo } }).server.address()).port;
  };
  if (opts.listening !== false) await start();
  else {
    // Reserve a port number that nothing listens on (yet).
    const { freePort } = await import('../../bench/lib.ts');
    port = await freePort();
  }
  return {
    get port() { return port; },
    get url() { return `smtp://127.0.0.1:${port}`; },
    messages,
    to: (address) => messages.filter((m) => [m.to].flat().some((t) => t?.value.some((v) => v.address === address))),
    waitFor(predicate, ms = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!predicate(messages)) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(messages);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`mailbox: still waiting after ${ms} ms; got ${messages.length} message(s): ${messages.map((m) => m.subject).join(' | ')}`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      const s = server;
      server = null;
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    start,
  };
}

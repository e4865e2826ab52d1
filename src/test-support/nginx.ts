// A private nginx (Debian's `nginx` / `nginx-light`) in front of a test app,
// configured as the README documents for MEDIA_SERVE_MODE=x-accel. Used by
// the X-Accel test and bench/media.ts. `/_direct/` (bench only) serves the
// media directory straight from disk: the baseline "nginx alone".
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../bench/lib.ts';

export interface Nginx {
  url: string;
  stop(): Promise<void>;
}

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/** Why nginx tests must skip here, or undefined when nginx can run. */
export function nginxUnavailable(): string | undefined {
  if (!NGINX) return 'nginx is not installed (apt-get install nginx-light)';
  if (spawnSync(NGINX, ['-v']).status !== 0) return 'nginx does not start';
  return undefined;
}


export async function startNginx(opts: { upstream: string; mediaDir: string; accelPrefix?: string; direct?: boolean; port?: number }): Promise<Nginx> {
  if (!NGINX) throw new Error(nginxUnavailable());
  const dir = await mkdtemp(path.join(tmpdir(), 'pod-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(path.join(dir, sub));
  const port = opts.port ?? (await freePort());
  const upstream = new URL(opts.upstream);
  const media = `${path.resolve(opts.mediaDir)}/`;
  const conf = `
${process.getuid?.() === 0 ? 'user root;' : ''}
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  include /etc/nginx/mime.types;
  types { application/vnd.apple.mpegurl m3u8; application/dash+xml mpd; video/mp2t ts; video/iso.segment m4s; text/vtt vtt; }
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream api { server ${upstream.host}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_buffering off;
    }
    location ${opts.accelPrefix ?? '/_protected_media/'} {
      internal;
      alias ${media};
      add_header Access-Control-Allow-Origin * always;
    }
    ${opts.direct ? `location /_direct/ { alias ${media}; }` : ''}
  }
}
`;
  await writeFile(path.join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(NGINX, ['-p', dir, '-c', path.join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    try {
      await fetch(`${url}/api/v1/health`);
      break;
    } catch {
      if (i > 100) throw new Error(`nginx did not answer: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    url,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// Sends one command to statsd's management port and prints the reply.
//   node mgmt.cjs PORT COMMAND [ARGS...]      (host: 127.0.0.1)
// The reply is complete at a line "END" (counters, timers, gauges, stats,
// del*), after one line for health/ERROR, else after 300 ms of silence.
// Exit 0 on a reply, 2 when nothing answers within 3 s.
'use strict';
const net = require('node:net');

const [port, ...words] = process.argv.slice(2);
const cmd = words.join(' ');
let buf = '';
let idle;

const finish = (code) => {
  sock.destroy();
  process.stdout.write(buf.replace(/\n+$/, '\n'));
  process.exit(code);
};
const complete = () =>
  /(^|\n)END\n/.test(buf) || ((words[0] === 'health' || buf.startsWith('ERROR')) && buf.includes('\n'));

const sock = net.connect(Number(port), '127.0.0.1', () => sock.write(`${cmd}\n`));
sock.setEncoding('ascii');
sock.on('data', (d) => {
  buf += d;
  clearTimeout(idle);
  if (complete()) finish(0);
  idle = setTimeout(() => finish(0), 300);
});
sock.on('error', () => process.exit(2));
sock.on('close', () => (buf ? finish(0) : process.exit(2)));
setTimeout(() => (buf ? finish(0) : process.exit(2)), 3000).unref();

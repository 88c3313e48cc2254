import { createSocket } from 'node:dgram';

/**
 * A UDP socket on 127.0.0.1 that receives the server's StatsD packets and
 * only counts them: metrics-on runs send somewhere real without reaching a
 * StatsD daemon that tests running at the same time may be asserting on.
 */
export async function startStatsdSink() {
  const socket = createSocket('udp4');
  const counts = { packets: 0, bytes: 0 };
  socket.on('message', (message) => {
    counts.packets++;
    counts.bytes += message.length;
  });
  await new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, '127.0.0.1', resolve);
  });
  return {
    address: `127.0.0.1:${socket.address().port}`,
    counts,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

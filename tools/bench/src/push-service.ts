/**
 * S4's push service in its own process (as a real one would be): web-push-testing, which
 * decrypts every push it receives. Speaks the bench's child IPC: {type: 'ready', url} once
 * listening; then `subscribe`, `messages` and `arrivals` (when each push request arrived, per
 * subscription, in arrival order).
 */
import { startWebPushTesting, type TestSubscription } from '@tandem/push-delivery/testing';

const service = await startWebPushTesting();
const arrivals: Record<string, number[]> = {};
service.onNotify = (clientHash) => {
  (arrivals[clientHash] ??= []).push(Date.now());
};
process.send?.({ type: 'ready', url: service.origin, pid: process.pid });

type Ask =
  | { id: number; cmd: 'subscribe'; applicationServerKey: string }
  | { id: number; cmd: 'messages'; subscription: TestSubscription }
  | { id: number; cmd: 'arrivals' };

process.on('message', (message: Ask) => {
  const answer = async () => {
    switch (message.cmd) {
      case 'subscribe':
        return { subscription: await service.subscribe(message.applicationServerKey) };
      case 'messages':
        return { messages: await service.messages(message.subscription) };
      case 'arrivals':
        return { arrivals };
    }
  };
  answer().then(
    (result) => process.send?.({ id: message.id, ...result }),
    (error: unknown) => process.send?.({ id: message.id, error: String(error) }),
  );
});

const stop = () => void service.close().finally(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

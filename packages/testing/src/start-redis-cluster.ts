import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { spawnRedisServer, type RedisServerHandle } from '@kiln/stack';
import { Redis } from 'ioredis';
import pWaitFor from 'p-wait-for';

const run = promisify(execFile);

/** A Redis Cluster of three masters on loopback, started by {@link startRedisCluster}. */
export interface RedisClusterHandle {
  /** The seed nodes in REDIS_URL's cluster form: `redis://127.0.0.1:a,redis://127.0.0.1:b,…`. */
  url: string;
  /** Each node's `redis-server`: a test may stop one. */
  nodes: RedisServerHandle[];
  /** Stops every node and removes their data. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisCluster}. */
export interface StartRedisClusterOptions {
  /** How many masters (default 3, the fewest `redis-cli --cluster create` accepts). */
  masters?: number;
  /** How long the cluster may take to agree it is up (default 20 s). */
  timeoutMs?: number;
}

/** Whether every node says `cluster_state:ok` (each sees all 16384 slots served). */
async function allNodesOk(nodes: RedisServerHandle[]): Promise<boolean> {
  const states = await Promise.all(
    nodes.map(async (node) => {
      const client = new Redis(node.port, node.host, { lazyConnect: true, maxRetriesPerRequest: 0 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        return String(await client.call('CLUSTER', 'INFO')).includes('cluster_state:ok');
      } finally {
        client.disconnect();
      }
    }),
  );
  return states.every(Boolean);
}

/**
 * A real Redis Cluster for a test: three `redis-server --cluster-enabled yes` on free loopback
 * ports (data in a fresh temp dir, no persistence), joined with `redis-cli --cluster create`
 * (no replicas), ready once every node reports `cluster_state:ok`. Needs redis-server and
 * redis-cli 5 or later on PATH.
 */
export async function startRedisCluster(opts: StartRedisClusterOptions = {}): Promise<RedisClusterHandle> {
  const dir = await mkdtemp(path.join(tmpdir(), 'kiln-redis-cluster-'));
  const nodes: RedisServerHandle[] = [];
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await Promise.all(nodes.map((node) => node.stop()));
      await rm(dir, { recursive: true, force: true });
    })());
  try {
    for (let i = 0; i < (opts.masters ?? 3); i++) {
      // Each node in its own folder: its cluster config file (nodes.conf) is written there.
      const nodeDir = path.join(dir, `node-${i}`);
      nodes.push(
        await spawnRedisServer({
          dir: nodeDir,
          extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'],
        }),
      );
    }
    const timeoutMs = opts.timeoutMs ?? 20_000;
    const addresses = nodes.map((n) => `${n.host}:${n.port}`);
    await run('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: timeoutMs,
    });
    await pWaitFor(() => allNodesOk(nodes), { interval: 100, timeout: timeoutMs });
    return { url: nodes.map((n) => n.url).join(','), nodes, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

// The CPU time of every process of a node cluster, asked by its primary over the cluster's IPC
// channel: each worker answers with its own process.cpuUsage() and whatever it counts.
import cluster from 'node:cluster';

/** A worker's answer: its CPU time so far, µs, and its own counters. */
export interface WorkerCpu {
  cpuUs: number;
  counters: Record<string, number>;
}

interface CpuQuestion {
  benchCpu?: number;
}

interface CpuAnswer {
  benchCpuReply?: number;
  cpuUs?: number;
  counters?: Record<string, number>;
}

/** Worker side: answers the primary's questions with this process's CPU time and `counters()`. */
export function answerCpuQuestions(counters: () => Record<string, number> = () => ({})): void {
  process.on('message', (message: CpuQuestion) => {
    if (typeof message?.benchCpu !== 'number') return;
    const used = process.cpuUsage();
    const answer: CpuAnswer = {
      benchCpuReply: message.benchCpu,
      cpuUs: used.user + used.system,
      counters: counters(),
    };
    process.send?.(answer);
  });
}

/** What the primary learns: its own CPU time so far, µs, and each worker's answer by worker id. */
export interface ClusterCpuSnapshot {
  primaryUs: number;
  workers: Map<number, WorkerCpu>;
}

/**
 * Primary side: a function asking every worker of the cluster for its CPU time (and counters),
 * resolved once all of them answered, with the primary's own CPU time read last.
 */
export function clusterCpuProbe(): () => Promise<ClusterCpuSnapshot> {
  let questions = 0;
  return () => {
    const id = ++questions;
    const asked = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    const workers = new Map<number, WorkerCpu>();
    return new Promise((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer);
        cluster.off('message', onReply);
        const own = process.cpuUsage();
        resolve({ primaryUs: own.user + own.system, workers });
      };
      const onReply = (w: { id: number }, message: CpuAnswer) => {
        if (message?.benchCpuReply !== id) return;
        workers.set(w.id, { cpuUs: message.cpuUs ?? 0, counters: message.counters ?? {} });
        if (workers.size === asked.length) finish();
      };
      const timer = setTimeout(() => {
        cluster.off('message', onReply);
        reject(new Error('cluster CPU: a worker did not answer'));
      }, 5_000);
      cluster.on('message', onReply);
      for (const w of asked) w.send({ benchCpu: id } satisfies CpuQuestion);
      if (asked.length === 0) finish();
    });
  };
}

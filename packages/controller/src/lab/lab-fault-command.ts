// `gannet lab cut|heal|kill|restart|flap`: a fault on a running lab, measured (lab-fault-run.ts), reported.
import { type CliIo, UsageError } from '../cli/cli-io.js';
import { renderFaultReport } from './fault-report.js';
import type { Lab } from './lab.js';
import { measureFault } from './lab-fault-run.js';
import { cutLink, findLink, findMember, healLink, killMember, restartMember } from './lab-faults.js';
import { sleep } from './lab-host.js';

export const FAULT_COMMANDS = ['cut', 'heal', 'kill', 'restart', 'flap'] as const;

export interface FaultArgs {
  target: string | undefined;
  watch?: number;
  graceful?: boolean;
  times?: number;
  interval?: number;
  json?: boolean;
  all?: boolean;
  silent?: boolean;
}

export async function faultCommand(lab: Lab, sub: string, a: FaultArgs, io: CliIo): Promise<number> {
  if (!a.target)
    throw new UsageError(
      `gannet lab ${sub} needs a ${sub === 'kill' || sub === 'restart' ? 'node or router' : 'link'} name (see gannet lab status)`,
    );
  const say = (line: string) => io.out(`[lab] ${line}\n`);
  const watchMs = a.watch !== undefined ? a.watch * 1000 : undefined;
  const common = { progress: say, ...(watchMs !== undefined ? { watchMs } : {}) };
  let report: Awaited<ReturnType<typeof measureFault>>;
  switch (sub) {
    case 'cut': {
      const link = findLink(lab.plan, a.target);
      report = await measureFault(
        lab,
        `cut ${link.name}${a.silent ? ' (silent)' : ''}`,
        () => cutLink(link, !!a.silent),
        {
          ...common,
          repairs: false,
        },
      );
      break;
    }
    case 'heal': {
      const link = findLink(lab.plan, a.target);
      report = await measureFault(lab, `heal ${link.name}`, () => healLink(link), { ...common, repairs: true });
      break;
    }
    case 'kill': {
      findMember(lab.plan, a.target);
      report = await measureFault(lab, `kill ${a.target}`, () => killMember(lab, a.target!), {
        ...common,
        repairs: false,
      });
      break;
    }
    case 'restart': {
      findMember(lab.plan, a.target);
      report = await measureFault(
        lab,
        `restart ${a.target}${a.graceful ? ' (graceful)' : ''}`,
        () => restartMember(lab, a.target!, !!a.graceful),
        { ...common, repairs: true },
      );
      break;
    }
    case 'flap': {
      const link = findLink(lab.plan, a.target);
      const times = a.times ?? 3;
      const gap = (a.interval ?? 1) * 1000;
      if (times < 1 || times > 100) throw new UsageError('--times must be 1..100');
      report = await measureFault(
        lab,
        `flap ${link.name} ×${times}`,
        async () => {
          for (let i = 0; i < times; i++) {
            cutLink(link, !!a.silent);
            await sleep(gap);
            healLink(link);
            if (i < times - 1) await sleep(gap);
          }
        },
        { ...common, repairs: true },
      );
      break;
    }
    default:
      throw new UsageError(`unknown lab command "${sub}"`);
  }
  io.out(a.json ? `${JSON.stringify(report, null, 2)}\n` : renderFaultReport(report, a.all));
  return 0;
}

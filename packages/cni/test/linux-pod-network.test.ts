import assert from 'node:assert/strict';
import type { CommandResult } from '../src/command.js';
import { CniError } from '../src/errors.js';
import { LinuxPodNetwork } from '../src/linux-pod-network.js';
import type { PodWiring } from '../src/pod-network.js';
import { digest, hostVethName, vethMacs } from '../src/pod-network.js';

const w: PodWiring = {
  netns: process.execPath, // any existing path stands for an existing namespace
  podIfName: 'eth0',
  podMac: '0e:00:00:00:00:01',
  hostIfName: 'gnt0123456789a',
  hostMac: 'ee:00:00:00:00:01',
  ipv4: '10.244.1.5',
  mtu: 1450,
};

/** A scripted `ip`/`nsenter`: records each call, answers from a queue. */
function fake(replies: Partial<CommandResult>[] = []) {
  const calls: { cmd: string; args: readonly string[]; input?: string }[] = [];
  const sysctls = new Map<string, string>([['net/ipv4/ip_forward', '0']]);
  const run = (cmd: string, args: readonly string[], input?: string): CommandResult => {
    calls.push({ cmd, args, ...(input !== undefined && { input }) });
    return { status: 0, stdout: '', stderr: '', ...replies.shift() };
  };
  const net = new LinuxPodNetwork({
    pid: 4321,
    run,
    netDev: () => 'Inter-|   Receive\n face |bytes\n    lo: 0 0\ngntx: 1 2\ngnt0123456789a: 0 0\n',
    sysctl: { read: (k) => sysctls.get(k), write: (k, v) => void sysctls.set(k, v) },
    routeTable: () =>
      'Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n' +
      'lan0\t000010AC\t00000000\t0001\t0\t0\t0\t00F0FFFF\n' +
      'up0\t00000000\t010010AC\t0003\t0\t0\t0\t00000000\n',
    netnsState: (p) => (p.startsWith('/nonexistent') ? 'missing' : 'ok'),
  });
  return { net, calls, sysctls };
}

describe('LinuxPodNetwork with a scripted ip', () => {
  it('ADD: one batch in the pod namespace, sysctls, one batch on the host', async () => {
    const { net, calls, sysctls } = fake();
    net.add(w);
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[0]?.args, [`--net=${w.netns}`, 'ip', '-batch', '-']);
    assert.equal(calls[0]?.cmd, 'nsenter');
    assert.equal(
      calls[0]?.input,
      'link add eth0 mtu 1450 address 0e:00:00:00:00:01 type veth peer name gnt0123456789a mtu 1450 address ee:00:00:00:00:01 netns 4321\n' +
        'addr add 10.244.1.5/32 dev eth0\n' +
        'link set eth0 up\n' +
        'route add default via 169.254.1.1 dev eth0 onlink\n' +
        'neigh replace 169.254.1.1 lladdr ee:00:00:00:00:01 dev eth0 nud permanent\n',
    );
    assert.deepEqual(calls[1], {
      cmd: 'ip',
      args: ['-batch', '-'],
      input: 'link set gnt0123456789a up\nroute replace 10.244.1.5/32 dev gnt0123456789a scope link\n',
    });
    assert.equal(sysctls.get('net/ipv4/conf/gnt0123456789a/proxy_arp'), '1');
    assert.equal(sysctls.get('net/ipv4/neigh/gnt0123456789a/proxy_delay'), '0');
    assert.equal(sysctls.get('net/ipv4/conf/gnt0123456789a/forwarding'), '1');
    assert.equal(sysctls.get('net/ipv4/ip_forward'), '1');
  });

  it('ADD: sysctls that are already on are not written again (forwarding writes spin on the RTNL lock)', async () => {
    const writes: string[] = [];
    const values = new Map([
      ['net/ipv4/ip_forward', '1'],
      ['net/ipv4/conf/gnt0123456789a/forwarding', '1'],
    ]);
    const ok = () => ({ status: 0, stdout: '', stderr: '' });
    const net = new LinuxPodNetwork({
      run: ok,
      netnsState: () => 'ok',
      sysctl: { read: (k) => values.get(k), write: (k) => void writes.push(k) },
    });
    net.add(w);
    assert.deepEqual(writes, ['net/ipv4/conf/gnt0123456789a/proxy_arp', 'net/ipv4/neigh/gnt0123456789a/proxy_delay']);
  });

  it('ADD: a named namespace under /run/netns is entered with ip -n (no nsenter)', async () => {
    const { net, calls } = fake();
    net.add({ ...w, netns: '/var/run/netns/cni-1234' });
    assert.deepEqual(calls[0]?.args, ['-n', 'cni-1234', '-batch', '-']);
    assert.equal(calls[0]?.cmd, 'ip');
    // /run/netns/NAME goes through ip -n only when it is the file ip will open (/var/run/netns/NAME)
    calls.length = 0;
    net.add({ ...w, netns: '/run/netns/gnt-no-such-netns' });
    assert.deepEqual(calls[0]?.args, ['--net=/run/netns/gnt-no-such-netns', 'ip', '-batch', '-']);
    assert.equal(calls[0]?.cmd, 'nsenter');
  });

  it('ADD: a leftover host veth of the same attachment is deleted and the batch retried', async () => {
    const { net, calls } = fake([{ status: 1, stderr: 'RTNETLINK answers: File exists\nCommand failed -:1\n' }]);
    net.add(w);
    assert.deepEqual(
      calls.map((c) => `${c.cmd} ${c.args.join(' ')}`),
      [
        `nsenter --net=${w.netns} ip -batch -`,
        'ip link del gnt0123456789a',
        `nsenter --net=${w.netns} ip -batch -`,
        'ip -batch -',
      ],
    );
  });

  it('ADD: an interface of that name already in the pod is a clear error', async () => {
    const { net } = fake([
      { status: 1, stderr: 'RTNETLINK answers: File exists\nCommand failed -:1\n' },
      { status: 1, stderr: 'Cannot find device "gnt0123456789a"' },
    ]);
    assert.throws(() => net.add(w), /File exists\nCommand failed -:1 \(the pod already has an interface named eth0\)/);
  });

  it('ADD: a pod that already has a default route is told so, without deleting anything', async () => {
    const { net, calls } = fake([{ status: 1, stderr: 'RTNETLINK answers: File exists\nCommand failed -:4\n' }]);
    assert.throws(() => net.add(w), /already has a default route: gannet-cni must be its first network/);
    assert.equal(calls.length, 1, 'no retry, no delete');
  });

  it('ADD: a missing namespace is code 4; a failing host batch is code 5', async () => {
    assert.throws(
      () => fake().net.add({ ...w, netns: '/nonexistent/netns' }),
      (e: unknown) => e instanceof CniError && e.code === 4,
    );
    const { net } = fake([{}, { status: 2, stderr: 'Error: Nexthop device is not up.' }]);
    assert.throws(
      () => net.add(w),
      (e: unknown) => e instanceof CniError && e.code === 5 && /Nexthop device is not up/.test(e.message),
    );
  });

  it('remove: true when deleted, false when already gone, an error otherwise', async () => {
    assert.equal(fake().net.remove('gntx'), true);
    assert.equal(fake([{ status: 1, stderr: 'Cannot find device "gntx"' }]).net.remove('gntx'), false);
    assert.throws(() => fake([{ status: 2, stderr: 'Operation not permitted' }]).net.remove('gntx'), /not permitted/);
  });

  it('remove: no ip run when /proc/net/dev does not list the veth; ip decides when it cannot be read', async () => {
    const calls: string[][] = [];
    const run = (_cmd: string, args: readonly string[]): CommandResult => {
      calls.push([...args]);
      return { status: 0, stdout: '', stderr: '' };
    };
    const gone = new LinuxPodNetwork({ run, netDev: () => 'Inter-|\n face |\n    lo: 0\n  gntxy: 0\n' });
    assert.equal(gone.remove('gntx'), false); // a prefix of another name is not a match
    assert.deepEqual(calls, []);
    const unreadable = new LinuxPodNetwork({
      run,
      netDev: () => {
        throw new Error('ENOENT');
      },
    });
    assert.equal(unreadable.remove('gntx'), true);
    assert.deepEqual(calls, [['link', 'del', 'gntx']]);
  });

  it('uplinkMtu: the MTU of the default route interface of our namespace', async () => {
    const { net, calls } = fake([{ stdout: '[{"ifname":"up0","mtu":9001}]\n' }]);
    assert.equal(net.uplinkMtu(), 9001);
    assert.deepEqual(calls[0]?.args, ['-j', 'link', 'show', 'dev', 'up0']);
  });

  it('uplinkMtu: undefined without a default route or when ip cannot tell', async () => {
    const none = new LinuxPodNetwork({
      run: () => ({ status: 0, stdout: '', stderr: '' }),
      routeTable: () => 'Iface\n',
    });
    assert.equal(none.uplinkMtu(), undefined);
    const unreadable = new LinuxPodNetwork({
      routeTable: () => {
        throw new Error('EACCES');
      },
    });
    assert.equal(unreadable.uplinkMtu(), undefined);
    assert.equal(fake([{ status: 1, stderr: 'Device "up0" does not exist.' }]).net.uplinkMtu(), undefined);
  });

  it('check: nothing to report when everything is in place', async () => {
    const { net, sysctls } = fake([
      { stdout: '[{"ifname":"gnt0123456789a","flags":["UP"],"mtu":1450}]\n' },
      { stdout: '[{"dst":"10.244.1.5","dev":"gnt0123456789a","scope":"link"}]\n' },
      {
        stdout:
          '[{"ifname":"eth0","flags":["UP"],"addr_info":[{"family":"inet","local":"10.244.1.5","prefixlen":32}]}]\n' +
          '[{"dst":"default","gateway":"169.254.1.1","dev":"eth0","flags":["onlink"]}]\n',
      },
    ]);
    sysctls.set('net/ipv4/conf/gnt0123456789a/proxy_arp', '1');
    assert.deepEqual(net.check(w), []);
  });

  it('check: a missing pod interface or namespace is named', async () => {
    const gone = fake([{ status: 1 }, { stdout: '[]\n' }, { status: 1, stderr: 'Device "eth0" does not exist.' }]);
    assert.deepEqual(gone.net.check(w), [
      'host interface gnt0123456789a is missing',
      'host route 10.244.1.5/32 dev gnt0123456789a is missing',
      `pod interface eth0 is missing in ${w.netns}`,
    ]);
    const noNs = fake([{ status: 1 }, { stdout: '[]\n' }]);
    assert.deepEqual(
      noNs.net.check({ ...w, netns: '/nonexistent/ns' }).at(-1),
      'network namespace /nonexistent/ns does not exist (was the pod sandbox deleted?)',
    );
  });

  it('a sysctl that cannot be written is an I/O failure naming it', async () => {
    const ok = () => ({ status: 0, stdout: '', stderr: '' });
    const net = new LinuxPodNetwork({
      run: ok,
      netnsState: () => 'ok',
      sysctl: {
        read: () => '1',
        write: () => {
          throw new Error('EROFS: read-only file system');
        },
      },
    });
    assert.throws(
      () => net.add(w),
      (e: unknown) =>
        e instanceof CniError &&
        e.code === 5 &&
        /sysctl net\.ipv4\.conf\.gnt0123456789a\.proxy_arp=1: EROFS/.test(e.message),
    );
  });

  it('check: reports each missing piece', async () => {
    const { net } = fake([
      { stdout: '[{"ifname":"gnt0123456789a","flags":["BROADCAST"],"mtu":1500}]\n' },
      { stdout: '[]\n' },
      {
        stdout:
          '[{"ifname":"eth0","flags":["UP"],"addr_info":[{"family":"inet","local":"10.244.1.6","prefixlen":32}]}]\n[]\n',
      },
    ]);
    assert.deepEqual(net.check(w), [
      'host interface gnt0123456789a is down',
      'host interface gnt0123456789a has MTU 1500, expected 1450',
      'proxy_arp is off on gnt0123456789a',
      'host route 10.244.1.5/32 dev gnt0123456789a is missing',
      'pod interface eth0 lacks 10.244.1.5/32',
      'pod default route via 169.254.1.1 dev eth0 is missing',
    ]);
  });

  it('digest: 128 well-spread bits, no collisions over 20000 attachments', async () => {
    assert.match(digest('abc', 'eth0'), /^[0-9a-f]{32}$/);
    assert.notEqual(digest('ab', 'ceth0'), digest('abc', 'eth0'), 'the separator counts');
    const names = new Set<string>();
    for (let i = 0; i < 20_000; i++) names.add(hostVethName(`ctr${i}`, 'eth0'));
    assert.equal(names.size, 20_000);
    // every hex digit position takes many values (no stuck bits)
    const first = [...names].map((n) => n[3]);
    assert.equal(new Set(first).size, 16);
  });

  it('names and MACs are stable per attachment, within IFNAMSIZ, locally administered', async () => {
    assert.equal(hostVethName('abc', 'eth0'), hostVethName('abc', 'eth0'));
    assert.notEqual(hostVethName('abc', 'eth0'), hostVethName('abc', 'eth1'));
    assert.match(hostVethName('x'.repeat(64), 'eth0'), /^gnt[0-9a-f]{11}$/);
    const m = vethMacs('abc', 'eth0');
    assert.match(m.host, /^ee(:[0-9a-f]{2}){5}$/);
    assert.match(m.pod, /^0e(:[0-9a-f]{2}){5}$/);
  });
});

describe('LinuxPodNetwork: IPv6', () => {
  const dual: PodWiring = { ...w, ipv6: 'fd00:10:244:1::5' };
  it('ADD dual-stack: /128 without DAD, fe80::1 gateway with a permanent neighbour, both host routes', () => {
    const { net, calls, sysctls } = fake();
    sysctls.set('net/ipv6/conf/all/forwarding', '0');
    net.add(dual);
    assert.equal(
      calls[0]?.input,
      'link add eth0 mtu 1450 address 0e:00:00:00:00:01 type veth peer name gnt0123456789a mtu 1450 address ee:00:00:00:00:01 netns 4321\n' +
        'addr add 10.244.1.5/32 dev eth0\n' +
        'addr add fd00:10:244:1::5/128 dev eth0 nodad\n' +
        'link set eth0 up\n' +
        'route add default via 169.254.1.1 dev eth0 onlink\n' +
        'neigh replace 169.254.1.1 lladdr ee:00:00:00:00:01 dev eth0 nud permanent\n' +
        'route add default via fe80::1 dev eth0\n' +
        'neigh replace fe80::1 lladdr ee:00:00:00:00:01 dev eth0 nud permanent\n',
    );
    assert.equal(
      calls[1]?.input,
      'link set gnt0123456789a up\n' +
        'route replace 10.244.1.5/32 dev gnt0123456789a scope link\n' +
        'route replace fd00:10:244:1::5/128 dev gnt0123456789a\n' +
        'neigh replace fd00:10:244:1::5 lladdr 0e:00:00:00:00:01 dev gnt0123456789a nud permanent\n',
    );
    assert.equal(sysctls.get('net/ipv6/conf/all/forwarding'), '1');
  });

  it('ADD IPv6-only: no IPv4 line, no IPv4 forwarding written', () => {
    const { net, calls, sysctls } = fake();
    sysctls.set('net/ipv6/conf/all/forwarding', '1');
    const { ipv4: _, ...only6 } = dual;
    net.add(only6);
    assert.doesNotMatch(calls[0]?.input ?? '', /169\.254|\/32/);
    assert.match(calls[0]?.input ?? '', /route add default via fe80::1 dev eth0\n/);
    assert.doesNotMatch(calls[1]?.input ?? '', /\/32/);
    assert.equal(sysctls.get('net/ipv4/ip_forward'), '0', 'not touched');
  });

  it('ADD dual-stack: an existing default route is explained whichever family it is', () => {
    // line 7 of the dual batch is the IPv6 default route
    const { net } = fake([{ status: 1, stderr: 'RTNETLINK answers: File exists\nCommand failed -:7\n' }]);
    assert.throws(() => net.add(dual), /already has a default route: gannet-cni must be its first network/);
  });

  it('CHECK dual-stack: asks for the IPv6 host route and the pod IPv6 default route, names what is missing', () => {
    const link = JSON.stringify([{ flags: ['UP'], mtu: 1450 }]);
    const podAddrs = JSON.stringify([
      {
        flags: ['UP'],
        addr_info: [
          { family: 'inet', local: '10.244.1.5', prefixlen: 32 },
          { family: 'inet6', local: 'fd00:10:244:1::5', prefixlen: 128 },
        ],
      },
    ]);
    const { net, calls, sysctls } = fake([
      { stdout: link },
      { stdout: JSON.stringify([{ dev: 'gnt0123456789a' }]) },
      { stdout: '[]' }, // no IPv6 host route
      { stdout: `${podAddrs}\n${JSON.stringify([{ gateway: '169.254.1.1', dev: 'eth0' }])}\n` },
      { stdout: JSON.stringify([{ gateway: 'fe80::1', dev: 'eth0' }]) },
    ]);
    sysctls.set('net/ipv4/conf/gnt0123456789a/proxy_arp', '1');
    assert.deepEqual(net.check(dual), ['host route fd00:10:244:1::5/128 dev gnt0123456789a is missing']);
    assert.deepEqual(calls[2]?.args, ['-6', '-j', 'route', 'show', 'exact', 'fd00:10:244:1::5/128']);
    assert.deepEqual(calls[4]?.args, [`--net=${w.netns}`, 'ip', '-6', '-j', '-batch', '-']);
    assert.equal(calls[4]?.input, 'route show default\n');
  });
});

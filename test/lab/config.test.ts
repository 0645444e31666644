// famez qemu-args and famez libvirt-xml: the builders with plain data, and the
// commands as users run them (the options of famez server and famez fabric).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { doorbellArgs, plainArgs, qemuArgsText, shellWord } from '../../src/lab/qemu-args.js';
import { doorbellXml, plainXml } from '../../src/lab/libvirt-xml.js';
import { fabricDevice, serverDevice, servedSize } from '../../src/lab/device-plan.js';
import type { DoorbellDevice } from '../../src/lab/device.js';
import { famez } from '../cli/cli.js';

const device: DoorbellDevice = {
  name: 'ivshmem',
  socketPath: '/run/famez/a,b.sock',
  vectors: 4,
  size: 64 << 20,
  protocol: 'qemu',
  memPath: '/dev/shm/ivshmem',
};

test('the doorbell stanza names the socket (commas doubled) and the vectors', () => {
  assert.deepEqual(doorbellArgs(device), [
    '-chardev',
    'socket,path=/run/famez/a,,b.sock,id=ivshmem',
    '-device',
    'ivshmem-doorbell,chardev=ivshmem,vectors=4',
  ]);
  assert.deepEqual(plainArgs(device), [
    '-object',
    'memory-backend-file,id=ivshmem-mem,share=on,mem-path=/dev/shm/ivshmem,size=67108864',
    '-device',
    'ivshmem-plain,memdev=ivshmem-mem',
  ]);
  assert.equal(plainArgs({ ...device, memPath: undefined }), undefined);
  assert.match(doorbellArgs({ ...device, protocol: 'legacy' })[3]!, /^ivshmem,chardev=ivshmem,size=64M,vectors=4/);
});

test('shell words are quoted only when they need it', () => {
  assert.equal(shellWord('socket,path=/tmp/x,id=a'), 'socket,path=/tmp/x,id=a');
  assert.equal(shellWord("/tmp/it's here"), "'/tmp/it'\\''s here'");
});

test('the libvirt elements: doorbell with server and msi (no size: the server provides the memory); plain only for /dev/shm', () => {
  assert.equal(
    doorbellXml(device),
    [
      "<shmem name='ivshmem'>",
      "  <model type='ivshmem-doorbell'/>",
      "  <server path='/run/famez/a,b.sock'/>",
      "  <msi vectors='4' ioeventfd='on'/>",
      '</shmem>',
    ].join('\n'),
  );
  assert.equal(
    plainXml(device),
    "<shmem name='ivshmem'>\n  <model type='ivshmem-plain'/>\n  <size unit='M'>64</size>\n</shmem>",
  );
  assert.equal(plainXml({ ...device, memPath: '/data/fam.img' }), undefined);
  assert.match(doorbellXml({ ...device, socketPath: "/tmp/a'b<c" }), /path='\/tmp\/a&apos;b&lt;c'/);
});

test('devices from server and fabric options: sizes as the server serves them', () => {
  assert.equal(
    servedSize({ kind: 'shm', name: 'x', size: 5 << 20 }, () => undefined),
    8 << 20,
  );
  assert.equal(
    servedSize({ kind: 'file', path: '/f' }, () => 1 << 30),
    1 << 30,
  );
  assert.equal(
    servedSize({ kind: 'shm', name: 'x' }, () => undefined),
    4 << 20,
  );
  const hugepages = serverDevice({
    socketPath: '/s',
    memory: { kind: 'directory', path: '/dev/hugepages' },
    vectors: 1,
    protocol: 'qemu',
  });
  assert.equal(hugepages.memPath, undefined);
  assert.match(
    qemuArgsText(hugepages, 'all'),
    /# no ivshmem-plain form: the memory file in \/dev\/hugepages is unlinked at once/,
  );
  assert.throws(() => qemuArgsText(hugepages, 'plain'), /no ivshmem-plain form/);
  const fabric = fabricDevice('/tmp/ivshmsg_socket', 14);
  assert.equal(fabric.vectors, 16);
  assert.equal(fabric.size, 8192);
});

test('famez qemu-args fabric -n 14 gives vectors=16, as famez fabric says at start', () => {
  const r = famez(['qemu-args', 'fabric', '-n', '14', '--form', 'doorbell']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(
    r.stdout,
    '-chardev socket,path=/tmp/ivshmsg_socket,id=ivshmsg -device ivshmem-doorbell,chardev=ivshmsg,vectors=16\n',
  );
});

test('famez qemu-args and libvirt-xml take famez server options and refuse bad ones as it does', () => {
  const args = famez(['qemu-args', '-S', '/run/famez/iv.sock', '-M', 'lab', '-l', '64M', '-n', '4']);
  assert.equal(args.status, 0, args.stderr);
  assert.equal(
    args.stdout,
    [
      '# QEMU >= 2.5: memory and 4 doorbells from /run/famez/iv.sock',
      '-chardev socket,path=/run/famez/iv.sock,id=lab -device ivshmem-doorbell,chardev=lab,vectors=4',
      '# or the memory alone, no doorbells (ivshmem-plain; QEMU maps /dev/shm/lab itself)',
      '-object memory-backend-file,id=lab-mem,share=on,mem-path=/dev/shm/lab,size=67108864 -device ivshmem-plain,memdev=lab-mem',
      '',
    ].join('\n'),
  );
  const xml = famez(['libvirt-xml', 'server', '-S', '/run/famez/iv.sock', '-l', '1M', '-n', '2', '--form', 'doorbell']);
  assert.equal(xml.status, 0, xml.stderr);
  assert.match(xml.stdout, /<server path='\/run\/famez\/iv.sock'\/>\n {2}<msi vectors='2' ioeventfd='on'\/>/);
  const bad = famez(['qemu-args', '-n', '0']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--vectors/);
  const plain = famez(['libvirt-xml', '-f', '/data/fam.img', '--form', 'plain']);
  assert.equal(plain.status, 2);
  assert.match(plain.stderr, /libvirt maps only \/dev\/shm\/<name>, not \/data\/fam.img/);
});

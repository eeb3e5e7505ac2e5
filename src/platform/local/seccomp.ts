/**
 * A seccomp filter for the pod sandboxes, as a classic BPF program for bwrap's `--seccomp FD`. It refuses (EPERM)
 * the system calls that Docker's and containerd's default profile (moby profiles/seccomp/default.json, which
 * containerd's contrib/seccomp copies) only allows with capabilities a container does not get by default and
 * that would act on the host here: mounts and new mount APIs, namespaces (unshare, setns, clone with a CLONE_NEW*
 * flag), file handles (open_by_handle_at reads any file of a filesystem, name_to_handle_at), kernel modules,
 * kexec, reboot, swap, accounting, the clock, the kernel log, keyrings, bpf, perf_event_open, userfaultfd,
 * quotactl and raw port I/O. clone3 answers ENOSYS, as in that profile: its flags are in memory a filter cannot
 * read, and the C library then falls back to clone, whose flags it can. Another ABI on the same kernel (i386 or
 * x32 on x86_64) is refused whole: its numbers differ and would pass the checks.
 */

const SECCOMP_RET_ALLOW = 0x7fff0000;
const SECCOMP_RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
const CLONE_NEW_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;
/** x32 system calls carry this bit on x86_64. */
const X32_SYSCALL_BIT = 0x40000000;

// struct seccomp_data: nr (int) at 0, arch (u32) at 4, args[i] (u64) at 16 + 8i (low half first: little-endian).
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG0 = 16;

interface ArchTable {
  audit: number;
  x32Bit: boolean;
  clone: number;
  clone3: number;
  refused: number[];
}

// The asm-generic table (aarch64) numbers the new mount API calls as x86_64 does.
const NEW_MOUNT_API = [428, 429, 430, 431, 432, 433, 442]; // open_tree move_mount fsopen fsconfig fsmount fspick mount_setattr

const ARCHES: Partial<Record<NodeJS.Architecture, ArchTable>> = {
  x64: {
    audit: 0xc000003e,
    x32Bit: true,
    clone: 56,
    clone3: 435,
    // mount umount2 pivot_root open_by_handle_at name_to_handle_at kexec_load kexec_file_load init_module
    // finit_module delete_module unshare setns bpf perf_event_open keyctl add_key request_key reboot swapon swapoff
    // acct settimeofday clock_settime clock_adjtime adjtimex syslog userfaultfd iopl ioperm quotactl
    refused: [
      165,
      166,
      155,
      304,
      303,
      246,
      320,
      175,
      313,
      176,
      272,
      308,
      321,
      298,
      250,
      248,
      249,
      169,
      167,
      168,
      163,
      164,
      227,
      305,
      159,
      103,
      323,
      172,
      173,
      179,
      ...NEW_MOUNT_API,
    ],
  },
  arm64: {
    audit: 0xc00000b7,
    x32Bit: false,
    clone: 220,
    clone3: 435,
    // the same calls in the same order (no iopl/ioperm on arm64)
    refused: [
      40,
      39,
      41,
      265,
      264,
      104,
      294,
      105,
      273,
      106,
      97,
      268,
      280,
      241,
      219,
      217,
      218,
      142,
      224,
      225,
      89,
      170,
      112,
      266,
      171,
      116,
      282,
      60,
      ...NEW_MOUNT_API,
    ],
  },
};

type Insn = { code: number; jt: number | string; jf: number | string; k: number } | { label: string };

const ld = (offset: number): Insn => ({ code: 0x20, jt: 0, jf: 0, k: offset }); // BPF_LD|BPF_W|BPF_ABS
const ret = (k: number): Insn => ({ code: 0x06, jt: 0, jf: 0, k }); // BPF_RET|BPF_K
const jeq = (k: number, jt: number | string, jf: number | string): Insn => ({ code: 0x15, jt, jf, k });
const jge = (k: number, jt: number | string, jf: number | string): Insn => ({ code: 0x35, jt, jf, k });
const jset = (k: number, jt: number | string, jf: number | string): Insn => ({ code: 0x45, jt, jf, k });

/** The filter for this machine's architecture, or undefined where there is no table for it (then no filter). */
export function seccompFilter(arch: NodeJS.Architecture = process.arch): Buffer | undefined {
  const t = ARCHES[arch];
  if (!t) return undefined;
  const prog: Insn[] = [
    ld(OFF_ARCH),
    jeq(t.audit, 0, 'deny'),
    ld(OFF_NR),
    ...(t.x32Bit ? [jge(X32_SYSCALL_BIT, 'deny', 0)] : []),
    ...t.refused.map((nr) => jeq(nr, 'deny', 0)),
    jeq(t.clone3, 'nosys', 0),
    jeq(t.clone, 'clone', 0),
    ret(SECCOMP_RET_ALLOW),
    { label: 'clone' },
    ld(OFF_ARG0),
    jset(CLONE_NEW_FLAGS, 'deny', 0),
    ret(SECCOMP_RET_ALLOW),
    { label: 'deny' },
    ret(SECCOMP_RET_ERRNO | EPERM),
    { label: 'nosys' },
    ret(SECCOMP_RET_ERRNO | ENOSYS),
  ];
  return assemble(prog);
}

/** Resolves labels into relative jumps and writes struct sock_filter entries (u16 code, u8 jt, u8 jf, u32 k). */
function assemble(prog: Insn[]): Buffer {
  const labels = new Map<string, number>();
  const code: Array<Exclude<Insn, { label: string }>> = [];
  for (const i of prog) {
    if ('label' in i) labels.set(i.label, code.length);
    else code.push(i);
  }
  const buf = Buffer.alloc(code.length * 8);
  code.forEach((i, at) => {
    const rel = (j: number | string): number => {
      if (typeof j === 'number') return j;
      const offset = labels.get(j)! - at - 1;
      if (offset < 0 || offset > 255) throw new Error(`seccomp: jump to ${j} out of range`);
      return offset;
    };
    buf.writeUInt16LE(i.code, at * 8);
    buf.writeUInt8(rel(i.jt), at * 8 + 2);
    buf.writeUInt8(rel(i.jf), at * 8 + 3);
    buf.writeUInt32LE(i.k >>> 0, at * 8 + 4);
  });
  return buf;
}

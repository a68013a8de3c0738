// @ts-check
// The perl program a launcher runs (launcher.mjs starts it and reads what it says), and the one fact of
// this machine it is told besides: dup3's number.

/**
 * The launcher. Reads requests on stdin, each a run of NUL-terminated words: id, cgroup, folder, program,
 * the count of arguments and the arguments, the count of variables and `NAME=value` each. Writes one
 * line each on stdout: `S id pid` once forked, `X id status` (the raw wait status) once reaped, `E id
 * errno` if the program could not be started (then exits 127). The child is born in the task's cgroup
 * (clone3 with CLONE_INTO_CGROUP: nothing moves, so no wait for an RCU grace period, ~6.6 ms on a default
 * cgroup2 mount); where clone3 is refused (Linux < 5.7, a seccomp filter) it forks and the child moves
 * itself (writing 0 to cgroup.procs: the wait is this child's, not the helper's).
 * Linux ≥ 6.14 (and the stable kernels the fix went to) kills a clone3 child at birth when the count of
 * `cgroup.kill` writes of its cgroup differs from that of its parent's cgroup (it reads the parent's where
 * it means the target's: v6.18's cgroup_css_set_fork). So the launcher first moves itself into a fresh
 * cgroup of its own beside the tasks' (its last argument; if it cannot, or there is none, it forks), and the helper never
 * gives a killed task cgroup to another task (task-cgroups.mjs). The child sets its own
 * process group (the parent does too, so a signal to the group after `S` reaches it), takes its
 * descriptors 0–2 (by dup3 where the helper passed its number for this machine: perl's open costs 7
 * syscalls each) and execs, in the folder and with exactly the environment the launcher gave itself
 * for this task before the clone (inherited: see below).
 * No modules (POSIX alone costs 10 ms a start): Linux's numbers for F_SETFD, FD_CLOEXEC, WNOHANG, EINTR,
 * clone3 (435 on every architecture), CLONE_INTO_CGROUP and SIGCHLD.
 * When stdin ends it reaps what still runs, and exits.
 */
export const LAUNCHER = String.raw`
use strict; my ($pairs, $dup3, $own) = @ARGV; my $me = $$; my (@fh, %id, %early); my $buf = '';
for my $fd (3 .. 2 + 2 * $pairs) { open($fh[$fd], '+<&=', $fd) or die "fd $fd: $!"; fcntl($fh[$fd], 2, 1) }
# Made once for every child: /dev/null for its stdin, and this stdout again for a failed exec's report (both
# close-on-exec, as perl makes every descriptor above 2). clone3's arguments are 64-bit words.
open(my $null, '<', '/dev/null') or die "/dev/null: $!"; open(my $report, '>&', \*STDOUT) or die "stdout: $!";
opendir(my $home, '.') or die "cwd: $!";
my $clone3 = $own && eval { pack('Q', 1); 1 };
if ($clone3) { my $c; $clone3 = open($c, '>', "$own/cgroup.procs") && syswrite($c, '0'); close $c }
sub say { syswrite(STDOUT, $_[0]) }
sub fail { syswrite(STDERR, "distw: $_[0]: $!\n"); exit 125 }
sub report { my ($p, $st) = @_; my $id = delete $id{$p}; if (defined $id) { say("X $id $st\n") } else { $early{$p} = $st } }
$SIG{CHLD} = sub { while ((my $p = waitpid(-1, 1)) > 0) { report($p, $?) } };
sub word {
  for (;;) {
    my $i = index($buf, "\0");
    if ($i >= 0) { my $w = substr($buf, 0, $i); substr($buf, 0, $i + 1) = ''; return $w }
    # perl runs a handler between statements: a SIGCHLD that came after the last one but before a blocking
    # read would wait for the next request. select's timeout bounds that wait (EINTR and 0: see to them, go on);
    # with no child left to report there is nothing to wait for, so an idle launcher does not wake.
    next if select(my $ready = "\x01", undef, undef, %id ? 0.1 : undef) < 1;
    my $n = sysread(STDIN, $buf, 65536, length $buf);
    next if !defined $n && $! == 4;
    return undef if !$n;
  }
}
my $n = 0;
while (defined(my $id = word())) {
  my ($cg, $cwd, $file) = (word(), word(), word());
  my @args = map { word() } 1 .. word();
  my @env = map { word() } 1 .. word();
  my ($out, $err) = ($fh[3 + 2 * $n], $fh[4 + 2 * $n]); $n++;
  # The task's environment and folder are this process's before the clone, so the child inherits them
  # rather than making them: every page the child writes is copied for it, and each part of perl it runs
  # is faulted in again (most of its CPU before the exec, in perf).
  %ENV = map { /^([^=]*)=(.*)\z/s ? ($1, $2) : () } @env;
  # (a relative folder is taken from where this process started, as before)
  my $entered = substr($cwd, 0, 1) eq '/' ? chdir($cwd) : chdir($home) && chdir($cwd);
  # clone3(CLONE_INTO_CGROUP, exit signal SIGCHLD, the cgroup's folder): born in the cgroup. Refused once,
  # this launcher forks from then on.
  my ($pid, $born) = (undef, 0);
  if ($clone3 && sysopen(my $dir, $cg, 0)) {
    my $args = pack('Q11', 0x200000000, 0, 0, 0, 17, 0, 0, 0, 0, 0, fileno($dir));
    $pid = syscall(435, $args, length $args);
    if ($pid >= 0) { $born = 1 } else { ($clone3, $pid) = (0, undef) }
    close $dir;
  }
  $pid = fork if !defined $pid;
  if (!defined $pid) { say("E $id " . ($! + 0) . "\n"); close $out; close $err; next }
  if ($pid == 0) {
    setpgrp(0, 0);
    if ($dup3) { (syscall($dup3, fileno($null), 0, 0) >= 0 && syscall($dup3, fileno($out), 1, 0) >= 0 && syscall($dup3, fileno($err), 2, 0) >= 0) or exit 125 }
    else { (open(STDIN, '<&', $null) && open(STDOUT, '>&', $out) && open(STDERR, '>&', $err)) or exit 125 }
    if (!$born) { my $c; (open($c, '>', "$cg/cgroup.procs") && syswrite($c, '0')) or fail("cannot move into $cg"); close $c }
    # The helper killed this launcher (its node closed) before this child was in its cgroup: nothing to run.
    exit 125 if getppid() != $me;
    $entered or (chdir($home) && chdir($cwd)) or fail("cannot enter $cwd");
    exec { $file } $file, @args;
    syswrite($report, "E $id " . ($! + 0) . "\n");
    exit 127;
  }
  setpgrp($pid, $pid); close $out; close $err;
  say("S $id $pid\n");
  $id{$pid} = $id;
  report($pid, delete $early{$pid}) if exists $early{$pid};
}
$SIG{CHLD} = 'DEFAULT';
while ((my $p = waitpid(-1, 0)) > 0) { report($p, $?) }
`

/** Linux's number of dup3 here ('' where not known: the launcher's children then use perl's open). */
export const DUP3 = String(
  new Map([
    ['x64', 292],
    ['arm64', 24],
    ['riscv64', 24],
    ['ia32', 330],
    ['arm', 358],
  ]).get(process.arch) ?? '',
)

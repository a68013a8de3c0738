// The floor of any runner on this machine: a minimal C program that keeps PARALLEL copies of a command
// running with posix_spawn (vfork + exec on glibc, no copy of the parent's page tables) until COUNT
// have exited. Used by bench/sleep-tasks.mjs when a C compiler is installed.
// Usage: spawn-loop COUNT PARALLEL PROGRAM [ARG...]; prints the wall time in milliseconds.
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int count = atoi(argv[1]), parallel = atoi(argv[2]), started = 0, running = 0;
  double start = now_ms();
  for (;;) {
    while (running < parallel && started < count) {
      pid_t pid;
      if (posix_spawnp(&pid, argv[3], NULL, NULL, argv + 3, environ) != 0) return 1;
      started++, running++;
    }
    if (running == 0) break;
    int status;
    if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
    running--;
  }
  printf("%.1f\n", now_ms() - start);
  return 0;
}

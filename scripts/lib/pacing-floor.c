// The machine's own pacing floor, for scripts/bench-pacing.sh: how late a C loop on this core wakes for a
// schedule of due times, (a) spinning on clock_gettime (what preemption alone costs: the OS, the hypervisor)
// and (b) sleeping on an absolute timerfd until each due time (what a sleeping pacer costs: the wake-up of
// an idle core, slow in a VM). grpcperf's pacer is measured against these on the same core, in the same go.
//   pacing-floor spin|timerfd RATE SECONDS   → one line: p50, p99, p99.9, max lateness in µs
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: pacing-floor spin|timerfd RATE SECONDS\n");
    return 2;
  }
  int spin = strcmp(argv[1], "spin") == 0;
  long rate = atol(argv[2]);
  long n = (long)(rate * atof(argv[3]));
  if (rate <= 0 || n <= 0) return 2;
  double *late = malloc(sizeof(double) * n);
  int fd = spin ? -1 : timerfd_create(CLOCK_MONOTONIC, 0);
  long long step = 1000000000LL / rate, base = now_ns() + 10000000LL;
  for (long i = 0; i < n; i++) {
    long long due = base + i * step, t;
    if (spin) {
      while ((t = now_ns()) < due) {
      }
    } else {
      struct itimerspec s = {{0, 0}, {due / 1000000000LL, due % 1000000000LL}};
      uint64_t expirations;
      timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL);
      if (read(fd, &expirations, sizeof expirations) < 0) return 1;
      t = now_ns();
    }
    late[i] = (t - due) / 1000.0;
  }
  qsort(late, n, sizeof(double), by_value);
  printf("%-7s %6ld/s  p50 %.0f  p99 %.0f  p99.9 %.0f  max %.0f µs\n", argv[1], rate, late[n / 2], late[n * 99 / 100],
         late[n * 999 / 1000], late[n - 1]);
  return 0;
}

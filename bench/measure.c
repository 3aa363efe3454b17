/* bench/measure: runs one command and reports its wall time, peak memory and CPU time.
 *
 *   measure RESULT_FILE COMMAND [ARGS...]
 *
 * Forks, execs COMMAND (searched on PATH) with this process's stdin, stdout and stderr, waits for it
 * with wait4 and writes one line to RESULT_FILE:
 *   WALL_NS MAXRSS_KIB USER_NS SYSTEM_NS EXIT
 * where WALL_NS is CLOCK_MONOTONIC from just before the fork to just after wait4, MAXRSS_KIB the
 * kernel's ru_maxrss of the command's process tree, and EXIT its exit status (128 + N when killed by
 * signal N). bench/run builds it with cc and calls it for every command it measures: the peak RSS
 * that the kernel reports for a command starts at the RSS of the process that forked it (exec keeps
 * the larger of the two), so a small C program measures kq's few MiB honestly where a Python
 * parent's 15 MiB would not. Exit status: 0 when RESULT_FILE was written, 127 otherwise. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long ns_of(struct timeval tv) {
    return (long long)tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: measure RESULT_FILE COMMAND [ARGS...]\n");
        return 127;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    pid_t pid = fork();
    if (pid < 0) {
        perror("measure: fork");
        return 127;
    }
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        fprintf(stderr, "measure: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    int status = 0;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("measure: wait4");
            return 127;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    FILE* out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 127;
    }
    long long wall = (end.tv_sec - start.tv_sec) * 1000000000LL + (end.tv_nsec - start.tv_nsec);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(out, "%lld %ld %lld %lld %d\n", wall, usage.ru_maxrss, ns_of(usage.ru_utime),
            ns_of(usage.ru_stime), code);
    return fclose(out) == 0 ? 0 : 127;
}

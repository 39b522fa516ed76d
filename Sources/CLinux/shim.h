/* Linux headers that the Glibc module does not export to Swift. */
#ifndef SWITCHBOARD_CLINUX_SHIM_H
#define SWITCHBOARD_CLINUX_SHIM_H

/* No _GNU_SOURCE here: it would change glibc's structs (fd_set, rusage) and clash with
   Swift's own Glibc module in a clean build. The two GNU functions used are declared below. */
#include <pthread.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>

/* epoll_event is packed on x86_64, which Swift imports awkwardly; these keep field access simple. */
static inline struct epoll_event sb_epoll_event(uint32_t events, uint64_t token) {
    struct epoll_event event;
    event.events = events;
    event.data.u64 = token;
    return event;
}

static inline uint64_t sb_epoll_event_token(const struct epoll_event *event) {
    return event->data.u64;
}

static inline uint32_t sb_epoll_event_flags(const struct epoll_event *event) {
    return event->events;
}

/* Pins the calling thread to one CPU; returns 0 on success. Used by benchmarks only. */
int sched_setaffinity(pid_t pid, size_t mask_size, const void *mask);
static inline int sb_pin_to_cpu(int cpu) {
    /* The kernel's affinity mask is a plain bit array; 1024 CPUs, as glibc's cpu_set_t. */
    unsigned long mask[1024 / (8 * sizeof(unsigned long))] = {0};
    if (cpu < 0 || cpu >= 1024) return -1;
    mask[cpu / (8 * sizeof(unsigned long))] |= 1UL << (cpu % (8 * sizeof(unsigned long)));
    return sched_setaffinity(0, sizeof mask, mask);
}

/* Names the calling thread (as top -H and gdb show it); at most 15 characters are kept. */
int pthread_setname_np(pthread_t thread, const char *name);
static inline void sb_name_this_thread(const char *name) {
    pthread_setname_np(pthread_self(), name);
}

#endif

#ifndef KEYHOLD_CEVENTPOLL_H
#define KEYHOLD_CEVENTPOLL_H
#include <stdint.h>

/// Readiness bits reported by keyhold_epoll_wait (the shim's own encoding, so Swift never sees the packed
/// struct epoll_event).
enum {
  KEYHOLD_POLL_READABLE = 1,
  KEYHOLD_POLL_WRITABLE = 2,
  KEYHOLD_POLL_HANGUP = 4,
};

/// epoll_create1(EPOLL_CLOEXEC); the descriptor or -1 with errno set.
int keyhold_epoll_create(void);
/// EPOLL_CTL_ADD (`add` != 0) or EPOLL_CTL_MOD of `fd`, level-triggered, EPOLLIN when `readable`, EPOLLOUT when
/// `writable`, EPOLLONESHOT when `oneshot`; `token` comes back from keyhold_epoll_wait. 0 or -1 with errno set.
int keyhold_epoll_set(int epfd, int fd, int add, int readable, int writable, int oneshot, uint64_t token);
/// epoll_wait for up to `capacity` events: their tokens and KEYHOLD_POLL_* bits. The count or -1 with errno set.
int keyhold_epoll_wait(int epfd, uint64_t *tokens, uint32_t *events, int capacity, int timeout_ms);
/// eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK); the descriptor or -1 with errno set.
int keyhold_eventfd(void);
/// Names the calling thread (at most 15 bytes are kept), so /proc/PID/task/TID/comm shows whose it is.
void keyhold_set_thread_name(const char *name);
/// Clears O_NONBLOCK on `fd`. 0 or -1 with errno set.
int keyhold_set_blocking(int fd);
/// SO_RCVTIMEO: a blocking receive on `fd` gives up with EAGAIN after `milliseconds` (rounded up to the kernel's
/// tick). 0 or -1 with errno set.
int keyhold_set_receive_timeout(int fd, int milliseconds);
/// poll(2) for `fd` readable or hung up and, when `listener` >= 0, for a connection waiting on `listener`, up to
/// `timeout_ms`: 1 when `fd` is ready, 2 when only `listener` is, 0 on timeout, -1 with errno set.
int keyhold_linger(int fd, int listener, int timeout_ms);
#endif
